-- One row per renovation kind × month: floor area started and completed in the calendar
-- year to that month (plan: ≥ 1,000,000 m² of boutique estates started a year).
with

projects as (
    select * from {{ ref('fct_housing_renovation') }}
),

final as (
    select
        month_start,
        extract(year from month_start)::integer as year_number,
        renovation_kind,
        count(*)::integer as projects,
        count(*) filter (where is_started_this_year)::integer as projects_started_ytd,
        coalesce(sum(floor_area_m2) filter (where is_started_this_year), 0) as floor_area_started_ytd_m2,
        coalesce(sum(floor_area_m2) filter (where is_completed_this_year), 0) as floor_area_completed_ytd_m2,
        coalesce(sum(households) filter (where is_completed_this_year), 0)::integer as households_completed_ytd
    from projects
    group by
        month_start,
        renovation_kind
)

select * from final
