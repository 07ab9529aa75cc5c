-- One row per street × category × month: case counts the rates are computed from.
with

cases as (
    select * from {{ ref('fct_grid_cases') }}
),

rolled_up as (
    select
        month_start,
        street_code,
        category,
        count(*) as cases,
        count(*) filter (where is_closed) as closed_cases,
        count(*) filter (where is_closed and not is_overdue) as closed_on_time,
        count(*) filter (where is_overdue) as overdue_cases,
        count(*) filter (where case_type = '部件') as component_cases,
        count(*) filter (where case_type = '事件') as event_cases
    from cases
    group by
        month_start,
        street_code,
        category
)

select * from rolled_up
