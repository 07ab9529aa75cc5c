{#- Incremental by month, as the case fact it rolls up: a new month recomputes that month, not the year. -#}
{{ config(**incremental_by_batch_month('fct_grid_street_monthly')) }}

-- One row per street × category × month: grid-case volumes and rates.
-- on-time closure = closed and not overdue / closed; overdue = overdue / all cases.
-- Built on the case fact (a mart at a finer grain, incremental), as the hotline's.
with

cases as (
    select * from {{ ref('fct_grid_cases') }}
    {{ unseen_batches() }}
),

rolled_up as (
    select
        month_start,
        street_code,
        category,
        batch_id,
        count(*) as cases,
        count(*) filter (where is_closed) as closed_cases,
        count(*) filter (where is_closed and not is_overdue) as closed_on_time,
        count(*) filter (where is_overdue) as overdue_cases,
        count(*) filter (where case_type = {{ contract_value('grid_cases', 'case_type', '部件') }}) as component_cases,
        count(*) filter (where case_type = {{ contract_value('grid_cases', 'case_type', '事件') }}) as event_cases
    from cases
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
        cases::integer as cases,
        component_cases::integer as component_cases,
        event_cases::integer as event_cases,
        closed_cases::integer as closed_cases,
        closed_on_time::integer as closed_on_time,
        {{ pct('closed_on_time', 'closed_cases') }} as on_time_closure_rate_pct,
        overdue_cases::integer as overdue_cases,
        {{ pct('overdue_cases', 'cases') }} as overdue_rate_pct,
        batch_id
    from rolled_up
)

select * from final
