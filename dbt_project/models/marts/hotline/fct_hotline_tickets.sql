{#-
    Incremental by reporting month: a run reads only the tickets of batches the fact has
    not seen (a new month, or a correction of an old one) and replaces that month's rows
    (delete+insert on month_start), so a ticket dropped from a corrected file goes too.
-#}
{{ config(**incremental_by_batch_month('fct_hotline_tickets', indexed=true)) }}

with

tickets as (
    select * from {{ ref('stg_hotline_cases') }}
    {{ unseen_batches() }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

with_callers as (
    select
        *,
        -- a repeat caller rang at least twice in the reporting month (any street)
        count(*) over (partition by month_start, caller_phone_hash) as caller_tickets_in_month
    from tickets
),

final as (
    select
        with_callers.ticket_id,
        with_callers.month_start,
        with_callers.received_at,
        streets.street_code,
        with_callers.street as street_name,
        with_callers.channel,
        with_callers.request_type,
        with_callers.category,
        with_callers.subcategory,
        with_callers.handling_dept,
        with_callers.dispatched_at,
        with_callers.closed_at,
        with_callers.status as ticket_status,
        with_callers.status = {{ contract_value('hotline_cases', 'status', '已办结') }} as is_closed,
        with_callers.is_on_time,
        not with_callers.is_on_time as is_overdue,
        with_callers.satisfaction,
        -- rated: any verdict but 未评价; satisfied: 满意 or 基本满意 (the plan's satisfaction rate)
        with_callers.satisfaction
        in ({{ contract_values('hotline_cases', 'satisfaction', ['满意', '基本满意', '不满意']) }}) as is_rated,
        with_callers.satisfaction
        in ({{ contract_values('hotline_cases', 'satisfaction', ['满意', '基本满意']) }}) as is_satisfied,
        with_callers.caller_phone_hash,
        coalesce(
            with_callers.caller_phone_hash is not null and with_callers.caller_tickets_in_month > 1, false
        ) as is_repeat_caller,
        round(extract(epoch from (with_callers.closed_at - with_callers.received_at)) / 3600.0, 2)
            as hours_to_close,
        with_callers.batch_id,
        with_callers.loaded_at
    from with_callers
    left join streets on with_callers.street = streets.street_name
)

select * from final
