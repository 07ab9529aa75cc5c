-- One row per renovation project × month, as the housing bureau's list stood that month.
with

projects as (
    select * from {{ ref('stg_housing_renovation') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

final as (
    select
        projects.month_start,
        projects.project_id,
        projects.estate as estate_name,
        streets.street_code,
        projects.kind as renovation_kind,
        projects.floor_area_m2,
        projects.households::integer as households,
        projects.started_on,
        projects.completed_on,
        projects.status as project_status,
        -- started in the reporting month's calendar year, up to that month
        projects.started_on >= date_trunc('year', projects.month_start)
        and projects.started_on < projects.month_start + interval '1 month' as is_started_this_year,
        projects.completed_on >= date_trunc('year', projects.month_start)
        and projects.completed_on < projects.month_start + interval '1 month' as is_completed_this_year,
        projects.batch_id,
        projects.loaded_at
    from projects
    left join streets on projects.street = streets.street_name
)

select * from final
