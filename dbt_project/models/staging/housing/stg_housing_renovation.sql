-- One row per renovation project × month, current batches only.
with

source as (
    {{ current_rows('housing_renovation') }}
),

renamed as (
    select
        period as month_start,
        project_id,
        estate as estate_name,
        street as street_name,
        kind as renovation_kind,
        floor_area_m2,
        households,
        started_on,
        completed_on,
        status as project_status,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
