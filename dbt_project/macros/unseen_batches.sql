{#-
    For the incremental facts (ticket grain, and their monthly rollups): on an incremental
    run, only the rows of current batches the fact has not loaded yet (a new month, or a
    correction of an old one). The fact then replaces each month those batches cover
    (delete+insert on month_start).

    The batches are listed as literals when the model runs: raw is partitioned by batch,
    so PostgreSQL then reads only their partitions, not every month's. A published mart
    without the batch column yet (built before it carried one) has seen nothing: every
    row is read. The audit table is named, not ref()'d (see keep_current_batches). A delta
    (macros/merged_at_publish.sql) is empty: the batches seen are the published fact's.

    A copy the build staged is filled while dbt starts, under an advisory lock (locks.py,
    seed 2): wait for it before the first look at the table.
-#}
{% macro unseen_batches(batch_column='batch_id') -%}
    {% if execute and is_incremental() -%}
        {%- do run_query("select pg_advisory_xact_lock_shared(hashtextextended('" ~ this.schema ~ "." ~ this.identifier ~ "', 2))") -%}
    {%- endif %}
    {% if execute and is_incremental() and batch_column in adapter.get_columns_in_relation(this) | map(attribute='name') -%}
        {%- set listed -%}
            select string_agg(quote_literal(batches.batch_id::text), ', ' order by batches.batch_id)
            from audit.ingest_batches as batches
            where batches.status = 'current' and not exists (
                select from {{ published_of(this) if is_delta(this) else this }} as loaded
                where loaded.{{ batch_column }} = batches.batch_id
            )
        {%- endset -%}
        {%- set unseen = run_query(listed).rows[0][0] %}
        where {{ batch_column ~ ' in (' ~ unseen ~ ')' if unseen else 'false' }}
    {%- endif %}
{%- endmacro %}
