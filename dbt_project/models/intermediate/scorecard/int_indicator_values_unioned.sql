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

computed as (
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

    union all

    select
        'IND_WATER_WORSE_THAN_V_SECTIONS',
        month_start,
        count(*) filter (where is_worse_than_v),
        'fct_water_quality',
        'water_quality',
        month_start
    from water
    group by month_start

    union all

    select
        indicators.indicator_code,
        blocks.month_start,
        case indicators.indicator_code
            when 'IND_BEAUTIFUL_BLOCK_AREA_SHARE' then blocks.area_share_pct
            when 'IND_BEAUTIFUL_BLOCKS_NEW' then blocks.blocks_built_since_2021
            else blocks.streets_covered
        end,
        'fct_beautiful_blocks',
        'beautiful_blocks',
        blocks.list_month_start
    from blocks
    cross join (
        values
        ('IND_BEAUTIFUL_BLOCK_AREA_SHARE'),
        ('IND_BEAUTIFUL_BLOCKS_NEW'),
        ('IND_BEAUTIFUL_BLOCK_STREETS_COVERED')
    ) as indicators (indicator_code)

    union all

    select
        case renovation_kind
            when '精品小区' then 'IND_BOUTIQUE_ESTATE_STARTED_M2'
            else 'IND_LANE_HOUSING_IMPROVED_M2'
        end,
        month_start,
        floor_area_started_ytd_m2,
        'fct_housing_renovation',
        'housing_renovation',
        month_start
    from housing
    where renovation_kind in ('精品小区', '非成套改造')

    union all

    select
        indicators.indicator_code,
        elevators.month_start,
        case indicators.indicator_code
            when 'IND_ELEVATORS_STARTED' then elevators.started_ytd
            when 'IND_ELEVATORS_COMPLETED' then elevators.completed_ytd
            else elevators.completed_since_2021
        end,
        'fct_elevator_retrofit',
        'elevator_retrofit',
        elevators.month_start
    from elevators
    cross join (
        values
        ('IND_ELEVATORS_STARTED'),
        ('IND_ELEVATORS_COMPLETED'),
        ('IND_ELEVATORS_COMPLETED_CUM')
    ) as indicators (indicator_code)

    union all

    select
        'IND_ILLEGAL_CONSTRUCTION_NEW',
        month_start,
        sum(new_cases_found),
        'fct_illegal_construction',
        'illegal_construction',
        month_start
    from illegal
    group by month_start

    union all

    select
        indicators.indicator_code,
        overhead.month_start,
        case indicators.indicator_code
            when 'IND_OVERHEAD_LINES_STARTED_KM' then sum(overhead.started_km)
            else sum(overhead.completed_km)
        end,
        'fct_overhead_lines',
        'overhead_lines',
        overhead.month_start
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
