-- One row per file received (a batch), whatever became of it: the audit trail says which
-- batch of a dataset and month is current, which ones a correction superseded, which were withdrawn.
with

source as (
    select * from {{ source('audit', 'ingest_batches') }}
),

renamed as (
    select
        batch_id,
        dataset,
        period as month_start,
        status as batch_status,
        status = 'current' as is_current,
        -- published: it reached raw and the marts, now or before a correction replaced it
        status in ('current', 'superseded') as is_published,
        rows as row_count,
        source_file,
        received_at,
        decided_at,
        -- withdrawn (cityops withdraw): the month was taken back, with who and why
        status = 'withdrawn' as is_withdrawn,
        withdrawn_at,
        withdrawn_by,
        withdrawn_reason
    from source
)

select * from renamed
