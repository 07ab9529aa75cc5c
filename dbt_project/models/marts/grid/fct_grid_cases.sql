{#-
    Incremental by reporting month, as fct_hotline_tickets: only batches not yet in the
    fact are read, and each month they cover is replaced whole (delete+insert).
-#}
{{ config(**incremental_by_batch_month('fct_grid_cases', indexed=true)) }}

with

cases as (
    select * from {{ ref('stg_grid_cases') }}
    {{ unseen_batches() }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

final as (
    select
        cases.case_id,
        cases.month_start,
        cases.reported_at,
        streets.street_code,
        cases.street as street_name,
        cases.source as discovery_source,
        cases.case_type,
        cases.category,
        cases.subcategory,
        cases.grid_code,
        cases.lon,
        cases.lat,
        cases.dispatched_at,
        cases.closed_at,
        cases.closed_at is not null as is_closed,
        cases.deadline_h,
        cases.is_overdue,
        round(extract(epoch from (cases.closed_at - cases.reported_at)) / 3600.0, 2) as hours_to_close,
        cases.batch_id,
        cases.loaded_at
    from cases
    inner join streets on cases.street = streets.street_name
)

select * from final
