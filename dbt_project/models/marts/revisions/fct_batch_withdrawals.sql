-- One row per withdrawn batch: which month of which dataset was taken back, by whom, why,
-- and whether a later file has replaced it. The other marts no longer show its rows.
with

batches as (
    select * from {{ ref('stg_ingest_batches') }}
),

withdrawn as (
    select * from batches
    where is_withdrawn
),

replacements as (
    select
        dataset,
        month_start,
        batch_id as replaced_by_batch_id
    from batches
    where is_current
),

final as (
    select
        withdrawn.batch_id,
        withdrawn.dataset,
        withdrawn.month_start,
        withdrawn.row_count,
        withdrawn.source_file,
        withdrawn.received_at,
        withdrawn.withdrawn_at,
        withdrawn.withdrawn_by,
        withdrawn.withdrawn_reason,
        replacements.replaced_by_batch_id,
        replacements.replaced_by_batch_id is not null as is_replaced
    from withdrawn
    left join replacements
        on
            withdrawn.dataset = replacements.dataset
            and withdrawn.month_start = replacements.month_start
)

select * from final
