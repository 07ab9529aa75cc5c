-- One row per street × month: household waste by type, the resource-utilisation rate,
-- and the compliant share of residential areas (plan: all 739 areas compliant).
with

garbage as (
    select * from {{ ref('stg_garbage_sorting') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

final as (
    select
        streets.street_code,
        garbage.street as street_name,
        garbage.month_start,
        garbage.residual_t,
        garbage.wet_t,
        garbage.recyclable_t,
        garbage.hazardous_t,
        garbage.residual_t + garbage.wet_t + garbage.recyclable_t + garbage.hazardous_t as total_t,
        garbage.resource_utilization_pct,
        garbage.residential_areas,
        garbage.compliant_residential_areas,
        round(100.0 * garbage.compliant_residential_areas / nullif(garbage.residential_areas, 0), 2)
            as compliant_share_pct,
        garbage.shops_door_to_door,
        garbage.batch_id,
        garbage.loaded_at
    from garbage
    inner join streets on garbage.street = streets.street_name
)

select * from final
