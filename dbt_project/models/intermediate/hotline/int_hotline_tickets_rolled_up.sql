-- One row per street × category × month: ticket counts the rates are computed from.
-- Tickets from outside the district have no street (street_code is null).
with

tickets as (
    select * from {{ ref('fct_hotline_tickets') }}
),

rolled_up as (
    select
        month_start,
        street_code,
        category,
        count(*) as tickets,
        count(*) filter (where is_closed) as closed_tickets,
        count(*) filter (where is_closed and is_on_time) as closed_on_time,
        count(*) filter (where is_on_time is not null) as tickets_with_deadline_verdict,
        count(*) filter (where is_overdue) as overdue_tickets,
        count(*) filter (where is_rated) as rated_tickets,
        count(*) filter (where is_satisfied) as satisfied_tickets,
        count(*) filter (where request_type = '投诉') as complaints,
        count(distinct caller_phone_hash) as callers,
        count(distinct caller_phone_hash) filter (where is_repeat_caller) as repeat_callers,
        count(*) filter (where is_repeat_caller) as tickets_from_repeat_callers
    from tickets
    group by
        month_start,
        street_code,
        category
)

select * from rolled_up
