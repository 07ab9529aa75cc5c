{#-
    Schemas are named for what they hold (staging, marts, reference), not per developer.
    `cityops build` (and every other build: transform/dbt.py) sets the var
    cityops_marts_schema: every mart, the incremental facts included, is built and tested
    in that side schema and moved into `marts` only when every test passed.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set name = custom_schema_name if custom_schema_name else target.schema -%}
    {%- set side = var('cityops_marts_schema', none) -%}
    {%- if name == 'marts' and side and node is not none -%}
        {{ side }}
    {%- else -%}
        {{ name }}
    {%- endif -%}
{%- endmacro %}
