{#-
    The warehouse's three roles. They own nothing and cannot log in: people and services
    get LOGIN users that are members of one of them.
      cityops_loader      writes raw and audit (the ingest);
      cityops_transformer reads raw and audit, builds staging to marts (dbt);
      cityops_reporting   reads marts and nothing else (BI tools, the district screens).
    Roles are cluster-wide, so they are created here if missing, before any model grants.
-#}
{% macro warehouse_roles() -%}
    {{ return(['cityops_loader', 'cityops_transformer', 'cityops_reporting']) }}
{%- endmacro %}

{% macro ensure_roles() -%}
    {%- for role in warehouse_roles() %}
    do $$
    begin
        if not exists (select from pg_roles where rolname = '{{ role }}') then
            create role {{ role }} nologin;
        end if;
    exception when duplicate_object then null;  -- another build created it meanwhile
    end
    $$;
    {%- endfor %}
{%- endmacro %}

{#- Schema-level grants; table-level select on marts comes from each model's `grants`. -#}
{% macro grant_schema_access() -%}
    {%- set reporting_only = ['raw', 'audit', 'staging', 'intermediate', 'snapshots', 'reference'] %}
    {%- for schema_name in ['raw', 'audit'] %}
    create schema if not exists {{ schema_name }};
    grant usage, create on schema {{ schema_name }} to cityops_loader;
    grant select, insert, update on all tables in schema {{ schema_name }} to cityops_loader;
    grant usage on schema {{ schema_name }} to cityops_transformer;
    grant select on all tables in schema {{ schema_name }} to cityops_transformer;
    {%- endfor %}
    {%- for schema_name in ['staging', 'intermediate', 'marts', 'snapshots', 'reference'] %}
    create schema if not exists {{ schema_name }};
    grant usage, create on schema {{ schema_name }} to cityops_transformer;
    {%- endfor %}
    grant usage on schema marts to cityops_reporting;
    grant select on all tables in schema marts to cityops_reporting;
    {%- for schema_name in reporting_only %}
    revoke all on schema {{ schema_name }} from cityops_reporting;
    {%- endfor %}
{%- endmacro %}
