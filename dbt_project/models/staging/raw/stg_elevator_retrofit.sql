-- Generated from expectations/elevator_retrofit.yml by `cityops contracts sources --write`. Do not edit.
-- One row per elevator (building × entrance) × month of the current batches: Elevator retrofits in
-- existing multi-storey housing.
with

source as (
    {{ current_rows('elevator_retrofit') }}
),

renamed as (
    select
        period as month_start,
        elevator_id,
        estate,
        street,
        building,
        stage,
        approved_on,
        started_on,
        completed_on,
        households,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
