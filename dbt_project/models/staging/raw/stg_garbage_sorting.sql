-- Generated from expectations/garbage_sorting.yml by `cityops contracts sources --write`. Do not edit.
-- One row per street × month of the current batches: Monthly household-waste sorting report.
with

source as (
    {{ current_rows('garbage_sorting') }}
),

renamed as (
    select
        period as month_start,
        street,
        residual_t,
        wet_t,
        recyclable_t,
        hazardous_t,
        resource_utilization_pct,
        residential_areas,
        compliant_residential_areas,
        shops_door_to_door,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
