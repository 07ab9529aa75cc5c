-- One row per illegal-construction case × month (the whole ledger each month).
with

source as (
    {{ current_rows('illegal_construction') }}
),

renamed as (
    select
        period as month_start,
        case_id,
        street as street_name,
        kind as construction_kind,
        origin = '新增' as is_new,
        area_m2,
        found_on,
        demolished_on,
        status as case_status,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
