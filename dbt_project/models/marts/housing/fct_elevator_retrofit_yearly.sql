-- One row per month: elevators started and completed in the calendar year to that month,
-- and completed since the plan began (plan: 185 started / 150 completed in 2021; 500
-- completed over 2021–2025).
with

elevators as (
    select * from {{ ref('fct_elevator_retrofit') }}
),

plan as (
    select * from {{ ref('ref_plan') }}
),

final as (
    select
        elevators.month_start,
        extract(year from elevators.month_start)::integer as year_number,
        count(*)::integer as elevators_listed,
        count(*) filter (
            where elevators.started_on >= date_trunc('year', elevators.month_start)
            and elevators.started_on < elevators.month_start + interval '1 month'
        )::integer as started_ytd,
        count(*) filter (
            where elevators.completed_on >= date_trunc('year', elevators.month_start)
            and elevators.completed_on < elevators.month_start + interval '1 month'
        )::integer as completed_ytd,
        count(*) filter (
            where elevators.completed_on >= make_date(plan.start_year, 1, 1)
            and elevators.completed_on < elevators.month_start + interval '1 month'
        )::integer as completed_since_2021,
        count(*) filter (
            where elevators.retrofit_stage = {{ contract_value('elevator_retrofit', 'stage', '投入运行') }}
        )::integer as in_operation
    from elevators
    cross join plan
    group by elevators.month_start
)

select * from final
