-- One row per street × category × month: hotline volumes and the plan's service rates.
-- on-time closure = closed on time / closed; satisfaction = satisfied (满意 or 基本满意) /
-- rated (未评价 excluded); overdue = marked late / tickets with a verdict.
with

rolled_up as (
    select * from {{ ref('int_hotline_tickets_rolled_up') }}
),

final as (
    select
        month_start,
        street_code,
        category,
        tickets::integer as tickets,
        complaints::integer as complaints,
        closed_tickets::integer as closed_tickets,
        closed_on_time::integer as closed_on_time,
        {{ pct('closed_on_time', 'closed_tickets') }} as on_time_closure_rate_pct,
        rated_tickets::integer as rated_tickets,
        satisfied_tickets::integer as satisfied_tickets,
        {{ pct('satisfied_tickets', 'rated_tickets') }} as satisfaction_rate_pct,
        overdue_tickets::integer as overdue_tickets,
        {{ pct('overdue_tickets', 'tickets_with_deadline_verdict') }} as overdue_rate_pct,
        callers::integer as callers,
        repeat_callers::integer as repeat_callers,
        tickets_from_repeat_callers::integer as tickets_from_repeat_callers
    from rolled_up
)

select * from final
