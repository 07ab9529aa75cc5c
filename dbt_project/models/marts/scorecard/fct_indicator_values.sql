-- One row per indicator × month × source: every district-wide value the warehouse has for
-- a plan indicator, and the current batch it came from. Departments report some
-- (city_indicators, scope 全区); the facts compute the others, and the catalog (seed
-- ref_indicators: source, source_measure, source_scope) says which measure is which
-- indicator, so no indicator id is written in SQL. Where a department reports a value the
-- catalog takes from a fact, both rows are here, side by side.
with

catalog as (
    select * from {{ ref('ref_indicators') }}
),

reported as (
    select * from {{ ref('int_indicator_values_reported') }}
),

levels as (
    select * from {{ ref('fct_district_measures_levels') }}
),

progress as (
    select * from {{ ref('fct_district_measures_progress') }}
),

batches as (
    select * from {{ ref('stg_ingest_batches') }}
    where is_current
),

measures as (
    select * from levels
    union all
    select * from progress
),

computed as (
    select
        catalog.indicator_code,
        measures.month_start,
        measures.value,
        measures.source_model,
        batches.batch_id as source_batch_id
    from measures
    inner join catalog
        on
            measures.source_model = catalog.source
            and measures.measure = catalog.source_measure
            and measures.scope is not distinct from catalog.source_scope
    left join batches
        on
            measures.source_dataset = batches.dataset
            and measures.batch_period = batches.month_start
),

unioned as (
    select * from computed
    union all
    select * from reported
),

final as (
    select
        indicator_code,
        month_start,
        value::numeric as value,
        source_model,
        source_batch_id
    from unioned
)

select * from final
