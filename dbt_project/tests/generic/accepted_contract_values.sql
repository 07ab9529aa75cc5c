{#-
    A column holds only the values a contract names for one of its columns (its enum values,
    the water classes): the list is read from the contract, never retyped in a yml.
-#}
{% test accepted_contract_values(model, column_name, dataset, column) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} not in ({{ contract_values(dataset, column, contract_vocabulary()[dataset][column]) }})
{% endtest %}
