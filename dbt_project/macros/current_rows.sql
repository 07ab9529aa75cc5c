{#-
    The rows of a raw dataset whose batch has one of the given statuses, with the batch's
    month: raw is append-only and keeps every version of a month, the audit table says
    which one stands. Staging models call these (sources are read in staging only).
-#}
{% macro batch_rows(dataset, statuses) -%}
    select
        raw_rows.*,
        batches.period as _batch_period
    from {{ source('raw', dataset) }} as raw_rows
    inner join {{ source('audit', 'ingest_batches') }} as batches
        on raw_rows._batch_id = batches.batch_id
    where batches.status in ('{{ statuses | join("', '") }}')
{%- endmacro %}

{#- The version of each month that stands. -#}
{% macro current_rows(dataset) -%}
    {{ batch_rows(dataset, ['current']) }}
{%- endmacro %}

{#-
    Every published version: the current one and those a correction superseded. Rejected
    or failed files never reached the marts, so they are not revisions.
-#}
{% macro published_rows(dataset) -%}
    {{ batch_rows(dataset, ['current', 'superseded']) }}
{%- endmacro %}
