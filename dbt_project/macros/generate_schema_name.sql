{#-
    Schemas are named for what they hold (staging, marts, reference), not per developer.
    `cityops build` sets the var cityops_marts_schema: the table marts are built and
    tested in that side schema and moved into `marts` only when every test passed
    (transform/dbt.py). Incremental marts are built where they live: they add one month
    to the rows already there, which a side schema would not have.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set name = custom_schema_name if custom_schema_name else target.schema -%}
    {%- set side = var('cityops_marts_schema', none) -%}
    {%- if name == 'marts' and side and node is not none and node.config.materialized != 'incremental' -%}
        {{ side }}
    {%- else -%}
        {{ name }}
    {%- endif -%}
{%- endmacro %}
