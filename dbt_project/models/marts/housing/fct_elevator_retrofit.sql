-- One row per retrofitted elevator × month, as the list stood that month.
with

elevators as (
    select * from {{ ref('stg_elevator_retrofit') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

final as (
    select
        elevators.month_start,
        elevators.elevator_id,
        elevators.estate as estate_name,
        streets.street_code,
        elevators.building,
        elevators.stage as retrofit_stage,
        elevators.approved_on,
        elevators.started_on,
        elevators.completed_on,
        elevators.households::integer as households,
        elevators.batch_id,
        elevators.loaded_at
    from elevators
    left join streets on elevators.street = streets.street_name
)

select * from final
