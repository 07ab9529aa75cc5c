{#-
    The rows of a raw dataset that belong to current batches, with the batch's month: raw is
    append-only and keeps every version of a month, the audit table says which one stands.
    Staging models call it (sources are read in staging only).
-#}
{% macro current_rows(dataset) -%}
    select
        raw_rows.*,
        batches.period as _batch_period
    from {{ source('raw', dataset) }} as raw_rows
    inner join {{ source('audit', 'ingest_batches') }} as batches
        on raw_rows._batch_id = batches.batch_id
    where batches.status = 'current'
{%- endmacro %}
