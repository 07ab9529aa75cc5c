-- One row per street × month: new illegal construction found (plan: zero growth), stock
-- still standing, and area demolished in the month and in the year to date.
with

cases as (
    select * from {{ ref('fct_illegal_construction') }}
),

final as (
    select
        month_start,
        street_code,
        count(*) filter (where is_new and is_found_this_month)::integer as new_cases_found,
        coalesce(sum(area_m2) filter (where is_new and is_found_this_month), 0) as new_area_found_m2,
        count(*) filter (where not is_new and demolished_on is null)::integer as stock_cases_standing,
        count(*) filter (where is_new and demolished_on is null)::integer as new_cases_standing,
        coalesce(sum(area_m2) filter (where demolished_on is null), 0) as area_standing_m2,
        count(*) filter (where is_demolished_this_month)::integer as cases_demolished,
        coalesce(sum(area_m2) filter (where is_demolished_this_month), 0) as area_demolished_m2,
        coalesce(sum(area_m2) filter (
            where demolished_on >= date_trunc('year', month_start)
            and demolished_on < month_start + interval '1 month'
        ), 0) as area_demolished_ytd_m2
    from cases
    group by
        month_start,
        street_code
)

select * from final
