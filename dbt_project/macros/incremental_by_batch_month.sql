{#-
    The config of a mart incremental by reporting month (the ticket and case facts, their
    monthly rollups): a run reads only the rows of batches it has not seen (unseen_batches),
    replaces each month they cover (delete+insert on month_start), drops the rows of
    batches that no longer stand (keep_current_batches), and keeps the not-null constraints
    its contract declares (not_null_constraints). `indexed`: a large fact, indexed on
    its month and batch (<name>_month, <name>_batch) for BI and for those lookups, and in a
    build of new batches staged as a delta merged at the swap (`cityops_publish: merge`,
    macros/merged_at_publish.sql): a copy of its years of rows would cost more than the month.
    Use: {{ config(**incremental_by_batch_month('fct_hotline_tickets', indexed=true)) }}
-#}
{% macro incremental_by_batch_month(name, indexed=false) -%}
    {%- set hooks = [] -%}
    {%- if indexed -%}
        {%- do hooks.append('create index if not exists ' ~ name ~ '_month on {{ this }} (month_start)') -%}
        {%- do hooks.append('create index if not exists ' ~ name ~ '_batch on {{ this }} (batch_id)') -%}
    {%- endif -%}
    {%- do hooks.append('{{ not_null_constraints() }}') -%}
    {%- do hooks.append('{{ keep_current_batches() }}') -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'month_start',
        'on_schema_change': 'append_new_columns',
        'post_hook': hooks,
        'meta': {'cityops_publish': 'merge' if indexed else 'swap'},
    }) }}
{%- endmacro %}

{#-
    A post-hook of the incremental facts: the not-null constraints their contract declares.
    dbt applies a contract's constraints when it creates a table; an incremental fact is
    created once and then only added to (its copy in the side schema takes them from the
    published table), so a fact created before a constraint was declared would never get
    it. PostgreSQL skips a column already NOT NULL; else it checks every row once (an error
    names the column) and enforces it on every later insert.
-#}
{% macro not_null_constraints() -%}
    {%- set columns = [] -%}
    {%- for name, column in model.columns.items() -%}
        {%- for constraint in column.constraints if constraint.type == 'not_null' -%}
            {%- do columns.append(adapter.quote(name)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if columns -%}
        alter table {{ this }} {% for column in columns %}alter column {{ column }} set not null{{ ', ' if not loop.last }}{% endfor %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
