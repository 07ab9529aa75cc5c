{#-
    A post-hook of the incremental facts and their monthly rollups: drop the rows of
    batches that are no longer current (and rows with no batch, left from before a mart
    carried one). A correction replaces its month (delete+insert on month_start), but a
    month whose current batch is withdrawn without a replacement brings no new rows to
    replace it with: without this its withdrawn rows would stay in the fact for good.

    The audit table is named, not ref()'d: a ref in a hook makes the fact a child of
    stg_ingest_batches, and every load (which changes the audit) would then rebuild every
    incremental fact. A withdrawal changes its own dataset's batches, which selects the fact.
    The batches that no longer stand are listed (the audit keeps every batch) as an array
    computed once, so the facts' batch index finds their rows (a bitmap OR with `is null`)
    instead of a scan of every month: `in (subquery)` under an OR is a hashed subplan,
    which PostgreSQL can only evaluate row by row (a year of tickets: 170 ms, now < 1 ms).
-#}
{% macro keep_current_batches(batch_column='batch_id') -%}
    delete from {{ this }}
    where {{ batch_column }} is null or {{ batch_column }} = any(array(
        select batches.batch_id from audit.ingest_batches as batches
        where batches.status <> 'current'
    ))
{%- endmacro %}
