-- Generated from expectations/housing_renovation.yml by `cityops contracts sources --write`. Do not edit.
-- One row per project × month of the current batches: Beautiful-home housing renovation projects.
with

source as (
    {{ current_rows('housing_renovation') }}
),

renamed as (
    select
        period as month_start,
        project_id,
        estate,
        street,
        kind,
        floor_area_m2,
        households,
        started_on,
        completed_on,
        status,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
