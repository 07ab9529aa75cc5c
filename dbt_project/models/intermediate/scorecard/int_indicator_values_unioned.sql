-- One row per indicator × month × source: every value the warehouse has for a plan
-- indicator, district-wide. Values the departments report come from city_indicators
-- (scope 全区); the others are computed from the subject facts. Each value names the
-- current batch it came from.
with

reported as (
    select * from {{ ref('stg_city_indicators') }}
),

garbage as (
    select * from {{ ref('fct_garbage_sorting_monthly') }}
),

water as (
    select * from {{ ref('fct_water_quality') }}
),

blocks as (
    select * from {{ ref('fct_beautiful_blocks') }}
),

housing as (
    select * from {{ ref('fct_housing_renovation_yearly') }}
),

elevators as (
    select * from {{ ref('fct_elevator_retrofit_yearly') }}
),

illegal as (
    select * from {{ ref('fct_illegal_construction_monthly') }}
),

overhead as (
    select * from {{ ref('fct_overhead_lines_monthly') }}
),

batches as (
    select * from {{ source('audit', 'ingest_batches') }}
    where status = 'current'
),

garbage_values as (
    select
        'IND_GARBAGE_RESOURCE_UTILISATION_PCT' as indicator_code,
        month_start,
        -- the district rate weights each street's rate by its tonnage
        round(sum(resource_utilization_pct * total_t) / nullif(sum(total_t), 0), 2) as value,
        'fct_garbage_sorting_monthly' as source_model,
        'garbage_sorting' as source_dataset,
        month_start as batch_period
    from garbage
    group by month_start
),

water_values as (
    select
        'IND_WATER_WORSE_THAN_V_SECTIONS' as indicator_code,
        month_start,
        count(*) filter (where is_worse_than_v) as value,
        'fct_water_quality' as source_model,
        'water_quality' as source_dataset,
        month_start as batch_period
    from water
    group by month_start
),

block_values as (
    select
        indicators.indicator_code,
        blocks.month_start,
        case indicators.indicator_code
            when 'IND_BEAUTIFUL_BLOCK_AREA_SHARE' then blocks.area_share_pct
            when 'IND_BEAUTIFUL_BLOCKS_NEW' then blocks.blocks_built_since_2021
            else blocks.streets_covered
        end as value,
        'fct_beautiful_blocks' as source_model,
        'beautiful_blocks' as source_dataset,
        -- the list in force may have been sent in an earlier month
        blocks.list_month_start as batch_period
    from blocks
    cross join (
        values
        ('IND_BEAUTIFUL_BLOCK_AREA_SHARE'),
        ('IND_BEAUTIFUL_BLOCKS_NEW'),
        ('IND_BEAUTIFUL_BLOCK_STREETS_COVERED')
    ) as indicators (indicator_code)
),

housing_values as (
    select
        case renovation_kind
            when '精品小区' then 'IND_BOUTIQUE_ESTATE_STARTED_M2'
            else 'IND_LANE_HOUSING_IMPROVED_M2'
        end as indicator_code,
        month_start,
        floor_area_started_ytd_m2 as value,
        'fct_housing_renovation' as source_model,
        'housing_renovation' as source_dataset,
        month_start as batch_period
    from housing
    where renovation_kind in ('精品小区', '非成套改造')
),

elevator_values as (
    select
        indicators.indicator_code,
        elevators.month_start,
        case indicators.indicator_code
            when 'IND_ELEVATORS_STARTED' then elevators.started_ytd
            when 'IND_ELEVATORS_COMPLETED' then elevators.completed_ytd
            else elevators.completed_since_2021
        end as value,
        'fct_elevator_retrofit' as source_model,
        'elevator_retrofit' as source_dataset,
        elevators.month_start as batch_period
    from elevators
    cross join (
        values
        ('IND_ELEVATORS_STARTED'),
        ('IND_ELEVATORS_COMPLETED'),
        ('IND_ELEVATORS_COMPLETED_CUM')
    ) as indicators (indicator_code)
),

illegal_values as (
    select
        'IND_ILLEGAL_CONSTRUCTION_NEW' as indicator_code,
        month_start,
        sum(new_cases_found) as value,
        'fct_illegal_construction' as source_model,
        'illegal_construction' as source_dataset,
        month_start as batch_period
    from illegal
    group by month_start
),

overhead_values as (
    select
        indicators.indicator_code,
        overhead.month_start,
        case indicators.indicator_code
            when 'IND_OVERHEAD_LINES_STARTED_KM' then sum(overhead.started_km)
            else sum(overhead.completed_km)
        end as value,
        'fct_overhead_lines' as source_model,
        'overhead_lines' as source_dataset,
        overhead.month_start as batch_period
    from overhead
    cross join (
        values
        ('IND_OVERHEAD_LINES_STARTED_KM'),
        ('IND_OVERHEAD_LINES_COMPLETED_KM')
    ) as indicators (indicator_code)
    group by
        indicators.indicator_code,
        overhead.month_start
),

computed as (
    select * from garbage_values
    union all
    select * from water_values
    union all
    select * from block_values
    union all
    select * from housing_values
    union all
    select * from elevator_values
    union all
    select * from illegal_values
    union all
    select * from overhead_values
),

with_batches as (
    select
        computed.indicator_code,
        computed.month_start,
        computed.value::numeric as value,
        computed.source_model,
        batches.batch_id as source_batch_id
    from computed
    left join batches
        on
            computed.source_dataset = batches.dataset
            and computed.batch_period = batches.period
),

departments_reported as (
    select
        indicator_code,
        month_start,
        value,
        'city_indicators' as source_model,
        batch_id as source_batch_id
    from reported
    where is_district_total
),

unioned as (
    select * from with_batches
    union all
    select * from departments_reported
)

select * from unioned
