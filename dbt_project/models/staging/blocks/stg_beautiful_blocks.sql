-- One row per beautiful block × list month: the department sends the full list when it
-- changes, loaded under the month it was sent.
with

source as (
    {{ current_rows('beautiful_blocks') }}
),

batches as (
    select * from {{ source('audit', 'ingest_batches') }}
),

renamed as (
    select
        batches.period as list_month_start,
        source.block as block_name,
        source.street as street_name,
        source.area_ha,
        source.year_built,
        source.kind as block_kind,
        source._batch_id as batch_id,
        source._loaded_at as loaded_at
    from source
    inner join batches on source._batch_id = batches.batch_id
)

select * from renamed
