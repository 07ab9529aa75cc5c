-- One row per indicator × scope (a street or 全区) × month, current batches only.
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
        scope = '全区' as is_district_total,
        value,
        unit,
        department as department_name,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
