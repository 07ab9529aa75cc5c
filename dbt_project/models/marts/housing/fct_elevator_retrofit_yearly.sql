-- One row per month: elevators started and completed in the calendar year to that month,
-- and completed since 2021 (plan: 185 started / 150 completed in 2021; 500 completed
-- over 2021–2025).
with

elevators as (
    select * from {{ ref('fct_elevator_retrofit') }}
),

final as (
    select
        month_start,
        extract(year from month_start)::integer as year_number,
        count(*)::integer as elevators_listed,
        count(*) filter (
            where started_on >= date_trunc('year', month_start)
            and started_on < month_start + interval '1 month'
        )::integer as started_ytd,
        count(*) filter (
            where completed_on >= date_trunc('year', month_start)
            and completed_on < month_start + interval '1 month'
        )::integer as completed_ytd,
        count(*) filter (
            where completed_on >= date '2021-01-01'
            and completed_on < month_start + interval '1 month'
        )::integer as completed_since_2021,
        count(*) filter (where retrofit_stage = '投入运行')::integer as in_operation
    from elevators
    group by month_start
)

select * from final
