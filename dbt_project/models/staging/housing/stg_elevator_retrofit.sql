-- One row per retrofitted elevator (building × entrance) × month, current batches only.
with

source as (
    {{ current_rows('elevator_retrofit') }}
),

renamed as (
    select
        period as month_start,
        elevator_id,
        estate as estate_name,
        street as street_name,
        building,
        stage as retrofit_stage,
        approved_on,
        started_on,
        completed_on,
        households,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
