{#-
    One row per source model × measure × scope × month: how far the plan's programmes
    (beautiful blocks, housing renovation, elevator retrofits, overhead-line burial) have
    come, district-wide, year to date or since the plan began. Long format, as
    fct_district_measures_levels; scope is the renovation kind where a measure has one.
    Ephemeral: a step of fct_indicator_values, not a table of its own.
-#}
{{ config(materialized='ephemeral', contract={'enforced': false}, access='protected') }}

with

blocks as (
    select * from {{ ref('fct_beautiful_blocks') }}
),

housing as (
    select * from {{ ref('fct_housing_renovation_yearly') }}
),

elevators as (
    select * from {{ ref('fct_elevator_retrofit_yearly') }}
),

overhead as (
    select * from {{ ref('fct_overhead_lines_monthly') }}
),

block_measures as (
    select
        'fct_beautiful_blocks' as source_model,
        measures.measure,
        null::text as scope,
        blocks.month_start,
        measures.value,
        'beautiful_blocks' as source_dataset,
        -- the list in force may have been sent in an earlier month
        blocks.list_month_start as batch_period
    from blocks
    cross join lateral (
        values
        ('area_share_pct', blocks.area_share_pct),
        ('blocks_built_since_2021', blocks.blocks_built_since_2021::numeric),
        ('streets_covered', blocks.streets_covered::numeric)
    ) as measures (measure, value)
),

housing_measures as (
    select
        'fct_housing_renovation' as source_model,
        'floor_area_started_ytd_m2' as measure,
        renovation_kind as scope,
        month_start,
        floor_area_started_ytd_m2 as value,
        'housing_renovation' as source_dataset,
        month_start as batch_period
    from housing
),

elevator_measures as (
    select
        'fct_elevator_retrofit' as source_model,
        measures.measure,
        null::text as scope,
        elevators.month_start,
        measures.value,
        'elevator_retrofit' as source_dataset,
        elevators.month_start as batch_period
    from elevators
    cross join lateral (
        values
        ('started_ytd', elevators.started_ytd::numeric),
        ('completed_ytd', elevators.completed_ytd::numeric),
        ('completed_since_2021', elevators.completed_since_2021::numeric)
    ) as measures (measure, value)
),

overhead_totals as (
    -- lengths are cumulative per project; the district's are the sums over both ring zones
    select
        month_start,
        sum(started_km) as started_km,
        sum(completed_km) as completed_km
    from overhead
    group by month_start
),

overhead_measures as (
    select
        'fct_overhead_lines' as source_model,
        measures.measure,
        null::text as scope,
        overhead_totals.month_start,
        measures.value,
        'overhead_lines' as source_dataset,
        overhead_totals.month_start as batch_period
    from overhead_totals
    cross join lateral (
        values
        ('started_km', overhead_totals.started_km),
        ('completed_km', overhead_totals.completed_km)
    ) as measures (measure, value)
),

unioned as (
    select * from block_measures
    union all
    select * from housing_measures
    union all
    select * from elevator_measures
    union all
    select * from overhead_measures
)

select * from unioned
