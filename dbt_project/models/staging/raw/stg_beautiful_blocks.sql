-- Generated from expectations/beautiful_blocks.yml by `cityops contracts sources --write`. Do not edit.
-- One row per block × month of the current batches: Beautiful-block register. The file has no
-- month column: a row belongs to its batch's month, so a corrected month replaces exactly its own
-- rows.
with

source as (
    {{ current_rows('beautiful_blocks') }}
),

renamed as (
    select
        _batch_period as month_start,
        block,
        street,
        area_ha,
        year_built,
        kind,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
