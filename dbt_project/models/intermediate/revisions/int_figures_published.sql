-- One row per figure × published batch: the headline figures of each month in every
-- version that was ever current (current and superseded batches), long format.
with

indicators as (
    {{ published_rows('city_indicators') }}
),

garbage as (
    {{ published_rows('garbage_sorting') }}
),

batches as (
    -- row counts come from the audit trail, so the ticket tables are not scanned
    select * from {{ source('audit', 'ingest_batches') }}
    where status in ('current', 'superseded')
),

indicator_figures as (
    select
        'city_indicators' as dataset,
        _batch_period as month_start,
        indicator_code || ' @ ' || scope as figure_key,
        value,
        _batch_id as batch_id,
        _batch_status as batch_status,
        _batch_received_at as received_at,
        _batch_decided_at as decided_at
    from indicators
),

garbage_figures as (
    select
        'garbage_sorting' as dataset,
        garbage._batch_period as month_start,
        garbage.street || ' · ' || measures.measure as figure_key,
        measures.measure_value as value,
        garbage._batch_id as batch_id,
        garbage._batch_status as batch_status,
        garbage._batch_received_at as received_at,
        garbage._batch_decided_at as decided_at
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
        period as month_start,
        'rows' as figure_key,
        rows::numeric as value,
        batch_id,
        status as batch_status,
        received_at,
        decided_at
    from batches
),

unioned as (
    select * from indicator_figures
    union all
    select * from garbage_figures
    union all
    select * from row_counts
)

select * from unioned
