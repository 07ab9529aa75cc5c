-- One row per ring zone (inside / outside the inner ring) × month: km started and
-- completed to date, and the share of the planned km completed in that zone.
with

projects as (
    select * from {{ ref('fct_overhead_lines') }}
),

final as (
    select
        month_start,
        ring_zone,
        count(*)::integer as projects,
        count(*) filter (
            where project_status = {{ contract_value('overhead_lines', 'status', '已竣工') }}
        )::integer as projects_completed,
        sum(planned_km) as planned_km,
        sum(started_km) as started_km,
        sum(completed_km) as completed_km,
        {{ pct('sum(completed_km)', 'sum(planned_km)') }} as completed_share_pct,
        sum(merged_poles)::integer as merged_poles
    from projects
    group by
        month_start,
        ring_zone
)

select * from final
