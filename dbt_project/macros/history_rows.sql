{#-
    Every published version of a raw dataset, with its batch's month: the current one and
    those a correction superseded. Rejected or failed files never reached the marts, so
    they are not revisions.
-#}
{% macro published_rows(dataset) -%}
    select
        raw_rows.*,
        batches.period as _batch_period
    from {{ source('raw', dataset) }} as raw_rows
    inner join {{ source('audit', 'ingest_batches') }} as batches
        on raw_rows._batch_id = batches.batch_id
    where batches.status in ('current', 'superseded')
{%- endmacro %}
