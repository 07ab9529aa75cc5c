-- One row per burial project × month; lengths are cumulative since the project began.
with

source as (
    {{ current_rows('overhead_lines') }}
),

renamed as (
    select
        period as month_start,
        project_id,
        road as road_name,
        zone as ring_zone,
        planned_km,
        started_km,
        completed_km,
        merged_poles,
        status as project_status,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
