-- One row per calendar month from the plan's baseline year (2020) to five years past its
-- end (2030): room for the next plan; is_plan_period marks the plan's own years
-- (2021–2025 for the 14th Five-Year Plan). The years come from the seed ref_plan.
with

plan as (
    select * from {{ ref('ref_plan') }}
),

months as (
    select
        plan.start_year,
        plan.end_year,
        spine.month_start::date as month_start
    from plan
    cross join lateral generate_series(
        make_date(plan.baseline_year, 1, 1), make_date(plan.end_year + 5, 12, 1), interval '1 month'
    ) as spine (month_start)
),

final as (
    select
        month_start,
        to_char(month_start, 'YYYY-MM') as month_label,
        extract(year from month_start)::integer as year_number,
        extract(month from month_start)::integer as month_number,
        extract(quarter from month_start)::integer as quarter_number,
        (month_start + interval '1 month' - interval '1 day')::date as month_end,
        extract(year from month_start) between start_year and end_year as is_plan_period
    from months
)

select * from final
