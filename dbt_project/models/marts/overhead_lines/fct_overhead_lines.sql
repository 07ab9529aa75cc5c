-- One row per burial project × month: cumulative km planned, started and completed.
with

projects as (
    select * from {{ ref('stg_overhead_lines') }}
),

final as (
    select
        month_start,
        project_id,
        road as road_name,
        zone as ring_zone,
        zone = {{ contract_value('overhead_lines', 'zone', '内环内') }} as is_inside_inner_ring,
        planned_km,
        started_km,
        completed_km,
        merged_poles::integer as merged_poles,
        status as project_status,
        batch_id,
        loaded_at
    from projects
)

select * from final
