-- One row per indicator × month: the district-wide values the departments report in
-- city_indicators (the rows whose scope is the district total, not a street).
with

indicators as (
    select * from {{ ref('stg_city_indicators') }}
),

district_totals as (
    select
        indicator_code,
        month_start,
        value,
        'city_indicators' as source_model,
        batch_id as source_batch_id
    from indicators
    where scope = {{ contract_value('city_indicators', 'scope', '全区') }}
)

select * from district_totals
