{#-
    Data tests that read one row (or one batch's month) at a time carry
    `config: {where: __new_batches__}`: in a build of new batches they check only the rows
    of batches no good build has tested yet; the rest passed the same tests when they came.

    The build (transform/dbt.py) writes the batches the last good build tested into
    <side schema>.tested_batches before dbt starts, and leaves it empty when everything is
    to be tested (a full refresh, a changed project, no good build on record). The batches
    are listed here, when the test runs, as literals: raw is partitioned by batch, so
    PostgreSQL reads only the new batches' partitions. Any batch current by then is
    checked, one published while dbt runs included. Outside a build (a `dbt test` by hand)
    every row is checked.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__new_batches__' in where -%}
        {%- set where = where | replace('__new_batches__', new_batches_filter()) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro new_batches_filter(batch_column='batch_id') -%}
    {%- set side = var('cityops_marts_schema', none) -%}
    {%- if not execute or not side -%}
        {{- return('true') -}}
    {%- endif -%}
    {%- set listed -%}
        select
            (select count(*) from {{ side }}.tested_batches) as tested,
            (
                select string_agg(quote_literal(batches.batch_id::text), ', ' order by batches.batch_id)
                from audit.ingest_batches as batches
                where batches.status = 'current'
                    and batches.batch_id not in (select tested.batch_id from {{ side }}.tested_batches as tested)
            ) as untested
    {%- endset -%}
    {%- set row = run_query(listed).rows[0] -%}
    {#- a row with no batch has never been tested: it always is -#}
    {%- if row[0] == 0 -%}
        {{- return('true') -}}
    {%- elif not row[1] -%}
        {{- return(batch_column ~ ' is null') -}}
    {%- endif -%}
    {{- return('(' ~ batch_column ~ ' is null or ' ~ batch_column ~ ' in (' ~ row[1] ~ '))') -}}
{%- endmacro %}

{#-
    The months a build of new batches can have changed in a fact incremental by batch month
    (macros/incremental_by_batch_month.sql), for `dataset`: the months of its batches that
    stand now and were not tested (new or corrected), and of its tested batches that no
    longer stand (superseded, withdrawn). Such a fact is the published table plus
    delete+insert of the months of unseen batches and the deletion of batches that no longer
    stand: any other month holds the rows it held when the last good build checked it,
    against the same current batch in raw (append-only). None: check every month (a full
    build, a changed project, no good build on record, or a `dbt test` by hand).
    Returns {'months': [...], 'batches': [...]}: the months as literals, and the batches that
    stand in them (raw is partitioned by batch: listing them reads only their partitions).
-#}
{% macro changed_batch_months(dataset) -%}
    {%- set side = var('cityops_marts_schema', none) -%}
    {%- if not execute or not side -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set listed -%}
        with

        tested as (
            select tested.batch_id from {{ side }}.tested_batches as tested
        ),

        changed as (
            select distinct batches.period
            from audit.ingest_batches as batches
            where batches.dataset = '{{ dataset }}' and (
                (batches.status = 'current' and batches.batch_id not in (select batch_id from tested))
                or (batches.status <> 'current' and batches.batch_id in (select batch_id from tested))
            )
        )

        select
            (select count(*) from tested) as tested,
            (select string_agg(quote_literal(period::text), ', ' order by period) from changed) as months,
            (
                select string_agg(quote_literal(batches.batch_id::text), ', ' order by batches.batch_id)
                from audit.ingest_batches as batches
                where batches.dataset = '{{ dataset }}' and batches.status = 'current'
                    and batches.period in (select period from changed)
            ) as batches
    {%- endset -%}
    {%- set row = run_query(listed).rows[0] -%}
    {%- if row[0] == 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return({'months': row[1], 'batches': row[2]}) -}}
{%- endmacro %}
