{#-
    One row per source model × measure × month: the district-wide levels the plan measures
    month by month, taken from the facts at street or section grain. Long format: the
    catalog (seed ref_indicators: source, source_measure) says which measure is which
    indicator. Ephemeral: a step of fct_indicator_values, not a table of its own.
-#}
{{ config(materialized='ephemeral', contract={'enforced': false}, access='protected') }}

with

garbage as (
    select * from {{ ref('fct_garbage_sorting_monthly') }}
),

water as (
    select * from {{ ref('fct_water_quality') }}
),

illegal as (
    select * from {{ ref('fct_illegal_construction_monthly') }}
),

garbage_measures as (
    select
        'fct_garbage_sorting_monthly' as source_model,
        'resource_utilization_pct' as measure,
        null::text as scope,
        month_start,
        -- the district rate weights each street's rate by its tonnage
        round(sum(resource_utilization_pct * total_t) / nullif(sum(total_t), 0), 2) as value,
        'garbage_sorting' as source_dataset,
        month_start as batch_period
    from garbage
    group by month_start
),

water_measures as (
    select
        'fct_water_quality' as source_model,
        'sections_worse_than_v' as measure,
        null::text as scope,
        month_start,
        count(*) filter (where is_worse_than_v)::numeric as value,
        'water_quality' as source_dataset,
        month_start as batch_period
    from water
    group by month_start
),

illegal_measures as (
    select
        -- the catalog names the case-level fact; the monthly one has the count already
        'fct_illegal_construction' as source_model,
        'new_cases_found' as measure,
        null::text as scope,
        month_start,
        sum(new_cases_found)::numeric as value,
        'illegal_construction' as source_dataset,
        month_start as batch_period
    from illegal
    group by month_start
),

unioned as (
    select * from garbage_measures
    union all
    select * from water_measures
    union all
    select * from illegal_measures
)

select * from unioned
