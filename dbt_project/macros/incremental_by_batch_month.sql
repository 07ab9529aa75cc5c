{#-
    The config of a mart incremental by reporting month (the ticket and case facts, their
    monthly rollups): a run reads only the rows of batches it has not seen (unseen_batches),
    replaces each month they cover (delete+insert on month_start), and drops the rows of
    batches that no longer stand (keep_current_batches). `indexed`: a large fact, indexed on
    its month and batch (<name>_month, <name>_batch) for BI and for those lookups.
    Use: {{ config(**incremental_by_batch_month('fct_hotline_tickets', indexed=true)) }}
-#}
{% macro incremental_by_batch_month(name, indexed=false) -%}
    {%- set hooks = [] -%}
    {%- if indexed -%}
        {%- do hooks.append('create index if not exists ' ~ name ~ '_month on {{ this }} (month_start)') -%}
        {%- do hooks.append('create index if not exists ' ~ name ~ '_batch on {{ this }} (batch_id)') -%}
    {%- endif -%}
    {%- do hooks.append('{{ keep_current_batches() }}') -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'month_start',
        'on_schema_change': 'append_new_columns',
        'post_hook': hooks,
    }) }}
{%- endmacro %}
