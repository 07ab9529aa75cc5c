-- Generated from expectations/illegal_construction.yml by `cityops contracts sources --write`. Do not edit.
-- One row per case × month of the current batches: Illegal-construction enforcement ledger.
with

source as (
    {{ current_rows('illegal_construction') }}
),

renamed as (
    select
        period as month_start,
        case_id,
        street,
        kind,
        origin,
        area_m2,
        found_on,
        demolished_on,
        status,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
