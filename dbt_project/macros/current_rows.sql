{#-
    The rows of a raw dataset that belong to current batches: raw is append-only and
    keeps every version of a month, the audit table says which one stands.
-#}
{% macro current_rows(dataset) -%}
    select raw_rows.*
    from {{ source('raw', dataset) }} as raw_rows
    inner join {{ source('audit', 'ingest_batches') }} as batches
        on raw_rows._batch_id = batches.batch_id
    where batches.status = 'current'
{%- endmacro %}
