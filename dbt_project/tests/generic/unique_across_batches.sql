{#-
    Unique across the whole model, like `unique`. In a build of new batches only the values
    of the new batches' rows are looked up (macros/new_batches.sql): the rows already there
    were unique when they came, and a build only deletes from them. A delta is checked
    with the published rows it will join (macros/merged_at_publish.sql).
-#}
{% test unique_across_batches(model, column_name) %}
    {%- set scope = new_batches_filter() %}
    select {{ column_name }}, count(*) as n_rows
    from {{ as_published(model) }}
    where {{ column_name }} is not null
    {%- if scope != 'true' %}
        and {{ column_name }} in (select new_rows.{{ column_name }} from {{ model }} as new_rows where {{ scope }})
    {%- endif %}
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}
