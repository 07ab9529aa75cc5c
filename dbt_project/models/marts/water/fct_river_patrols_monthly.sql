-- One row per river × month: river-chief patrols and the issues they found and resolved,
-- beside the river's monitoring sections worse than class Ⅴ.
with

patrols as (
    select * from {{ ref('stg_river_chief_patrols') }}
),

sections as (
    select * from {{ ref('fct_water_quality') }}
),

per_river as (
    select
        month_start,
        river as water_body_name,
        count(*) as river_chiefs,
        sum(patrols) as patrols,
        sum(issues_found) as issues_found,
        sum(issues_resolved) as issues_resolved
    from patrols
    group by
        month_start,
        river
),

section_counts as (
    select
        month_start,
        water_body_name,
        count(*) as sections,
        count(*) filter (where is_worse_than_v) as sections_worse_than_v
    from sections
    group by
        month_start,
        water_body_name
),

final as (
    select
        per_river.month_start,
        per_river.water_body_name,
        per_river.river_chiefs::integer as river_chiefs,
        per_river.patrols::integer as patrols,
        per_river.issues_found::integer as issues_found,
        per_river.issues_resolved::integer as issues_resolved,
        {{ pct('per_river.issues_resolved', 'per_river.issues_found') }} as issues_resolved_pct,
        coalesce(section_counts.sections, 0)::integer as monitored_sections,
        coalesce(section_counts.sections_worse_than_v, 0)::integer as sections_worse_than_v
    from per_river
    left join section_counts
        on
            per_river.month_start = section_counts.month_start
            and per_river.water_body_name = section_counts.water_body_name
)

select * from final
