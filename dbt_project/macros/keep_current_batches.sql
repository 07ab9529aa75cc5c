{#-
    A post-hook of the incremental ticket facts: drop the rows of batches that are no
    longer current. A correction replaces its month (delete+insert on month_start), but a
    month whose current batch is withdrawn without a replacement brings no new rows to
    replace it with: without this its withdrawn rows would stay in the fact for good.
-#}
{% macro keep_current_batches(batch_column='batch_id') -%}
    delete from {{ this }}
    where {{ batch_column }} not in (
        select batches.batch_id from {{ ref('stg_ingest_batches') }} as batches
        where batches.is_current
    )
{%- endmacro %}
