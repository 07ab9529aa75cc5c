{#-
    A staging model keeps its contract's column rules, all checked by one query: one dbt
    node per model, not one per rule and column (most of a build of one new month went to
    dbt's own work per node). transform/staging.py writes the arguments from the contract:
    - not_null: [column, ...]                 a blank the contract rejects;
    - accepted_values: {column: [value, ...]} an enum's values, the water classes;
    - relationships: [{column, to, field}]    a name a seed registry must know.
    Each row returned is one failure: the rule, the column, the value and how many rows
    hold it, so the log of a failing build says what to fix.
-#}
{% test meets_contract(model, not_null=[], accepted_values={}, relationships=[]) %}
    {%- set union = joiner('union all') %}
    with checked as (
        select * from {{ model }}
    )
    {%- for column in not_null %}
    {{ union() }}
    select 'not_null' as rule, '{{ column }}' as column_name, null::text as value, count(*) as n_rows
    from checked
    where {{ column }} is null
    having count(*) > 0
    {%- endfor %}
    {%- for column, values in accepted_values.items() %}
    {{ union() }}
    select 'accepted_values', '{{ column }}', {{ column }}::text, count(*)
    from checked
    where {{ column }}::text not in (
        {%- for value in values %}'{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor -%}
    )
    group by {{ column }}
    {%- endfor %}
    {%- for rule in relationships %}
    {{ union() }}
    select 'relationships', '{{ rule.column }}', checked.{{ rule.column }}::text, count(*)
    from checked
    where checked.{{ rule.column }} is not null and not exists (
        select from {{ rule.to }} as known where known.{{ rule.field }} = checked.{{ rule.column }}
    )
    group by checked.{{ rule.column }}
    {%- endfor %}
    {%- if not (not_null or accepted_values or relationships) %}
    select null::text as rule, null::text as column_name, null::text as value, 0::bigint as n_rows
    where false
    {%- endif %}
{% endtest %}
