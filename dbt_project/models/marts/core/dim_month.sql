-- One row per calendar month, 2020-01 to 2030-12: 2020 is the plan's baseline year,
-- 2021–2025 the 14th Five-Year Plan period.
with

months as (
    select generate_series(date '2020-01-01', date '2030-12-01', interval '1 month')::date as month_start
),

final as (
    select
        month_start,
        to_char(month_start, 'YYYY-MM') as month_label,
        extract(year from month_start)::integer as year_number,
        extract(month from month_start)::integer as month_number,
        extract(quarter from month_start)::integer as quarter_number,
        (month_start + interval '1 month' - interval '1 day')::date as month_end,
        extract(year from month_start) between 2021 and 2025 as is_plan_period
    from months
)

select * from final
