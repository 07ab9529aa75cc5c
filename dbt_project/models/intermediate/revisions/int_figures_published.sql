-- One row per figure × published batch: the headline figures of each month in every
-- version that was ever current (current and superseded batches), long format.
with

indicators as (
    select * from {{ ref('stg_city_indicators_published') }}
),

garbage as (
    select * from {{ ref('stg_garbage_sorting_published') }}
),

batches as (
    -- row counts come from the audit trail, so the ticket tables are not scanned
    select * from {{ ref('stg_ingest_batches') }}
    where is_published
),

indicator_figures as (
    select
        'city_indicators' as dataset,
        month_start,
        indicator_code || ' @ ' || scope as figure_key,
        value,
        batch_id
    from indicators
),

garbage_figures as (
    select
        'garbage_sorting' as dataset,
        garbage.month_start,
        garbage.street || ' · ' || measures.measure as figure_key,
        measures.measure_value as value,
        garbage.batch_id
    from garbage
    cross join lateral (
        values
        ('residual_t', garbage.residual_t),
        ('wet_t', garbage.wet_t),
        ('recyclable_t', garbage.recyclable_t),
        ('hazardous_t', garbage.hazardous_t),
        ('resource_utilization_pct', garbage.resource_utilization_pct),
        ('compliant_residential_areas', garbage.compliant_residential_areas::numeric)
    ) as measures (measure, measure_value)
),

row_counts as (
    select
        dataset,
        month_start,
        'rows' as figure_key,
        row_count::numeric as value,
        batch_id
    from batches
),

unioned as (
    select * from indicator_figures
    union all
    select * from garbage_figures
    union all
    select * from row_counts
),

with_batches as (
    select
        unioned.dataset,
        unioned.month_start,
        unioned.figure_key,
        unioned.value,
        unioned.batch_id,
        batches.batch_status,
        batches.received_at,
        batches.decided_at
    from unioned
    inner join batches on unioned.batch_id = batches.batch_id
)

select * from with_batches
