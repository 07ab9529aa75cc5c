{#- Incremental by month, as the ticket fact it rolls up: a new month recomputes that month, not the year. -#}
{{ config(**incremental_by_batch_month('fct_hotline_street_monthly')) }}

-- One row per street × category × month: hotline volumes and the plan's service rates.
-- on-time closure = closed on time / closed; satisfaction = satisfied (满意 or 基本满意) /
-- rated (未评价 excluded); overdue = marked late / tickets with a verdict.
-- Built on the ticket fact (a mart at a finer grain), which is incremental: the counts
-- are taken from tickets already built, not recomputed from raw.
with

tickets as (
    select * from {{ ref('fct_hotline_tickets') }}
    {{ unseen_batches() }}
),

rolled_up as (
    -- tickets from outside the district have no street: street_code is null
    select
        month_start,
        street_code,
        category,
        batch_id,
        count(*) as tickets,
        count(*) filter (
            where request_type = {{ contract_value('hotline_cases', 'request_type', '投诉') }}
        ) as complaints,
        count(*) filter (where is_closed) as closed_tickets,
        count(*) filter (where is_closed and is_on_time) as closed_on_time,
        count(*) filter (where is_on_time is not null) as tickets_with_deadline_verdict,
        count(*) filter (where is_overdue) as overdue_tickets,
        count(*) filter (where is_rated) as rated_tickets,
        count(*) filter (where is_satisfied) as satisfied_tickets,
        count(distinct caller_phone_hash) as callers,
        count(distinct caller_phone_hash) filter (where is_repeat_caller) as repeat_callers,
        count(*) filter (where is_repeat_caller) as tickets_from_repeat_callers
    from tickets
    group by
        month_start,
        street_code,
        category,
        batch_id
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
        tickets_from_repeat_callers::integer as tickets_from_repeat_callers,
        batch_id
    from rolled_up
)

select * from final
