-- One row per street × category × month: grid-case volumes and rates.
-- on-time closure = closed and not overdue / closed; overdue = overdue / all cases.
with

rolled_up as (
    select * from {{ ref('int_grid_cases_rolled_up') }}
),

final as (
    select
        month_start,
        street_code,
        category,
        cases::integer as cases,
        component_cases::integer as component_cases,
        event_cases::integer as event_cases,
        closed_cases::integer as closed_cases,
        closed_on_time::integer as closed_on_time,
        {{ pct('closed_on_time', 'closed_cases') }} as on_time_closure_rate_pct,
        overdue_cases::integer as overdue_cases,
        {{ pct('overdue_cases', 'cases') }} as overdue_rate_pct
    from rolled_up
)

select * from final
