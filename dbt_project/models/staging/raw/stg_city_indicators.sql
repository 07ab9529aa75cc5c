-- Generated from expectations/city_indicators.yml by `cityops contracts sources --write`. Do not edit.
-- One row per indicator × scope × month of the current batches: Monthly city-management
-- indicators.
with

source as (
    {{ current_rows('city_indicators') }}
),

renamed as (
    select
        period as month_start,
        indicator_code,
        indicator_name,
        scope,
        value,
        unit,
        department,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
