-- Generated from expectations/grid_cases.yml by `cityops contracts sources --write`. Do not edit.
-- One row per case × month of the current batches: City grid-management cases. The file has no
-- month column: a row belongs to its batch's month, so a corrected month replaces exactly its own
-- rows.
with

source as (
    {{ current_rows('grid_cases') }}
),

renamed as (
    select
        _batch_period as month_start,
        case_id,
        source,
        case_type,
        category,
        subcategory,
        street,
        grid_code,
        lon,
        lat,
        reported_at,
        dispatched_at,
        closed_at,
        deadline_h,
        overdue = '是' as is_overdue,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
