-- Generated from expectations/river_chief_patrols.yml by `cityops contracts sources --write`. Do not edit.
-- One row per river chief × river × month of the current batches: River-chief patrols.
with

source as (
    {{ current_rows('river_chief_patrols') }}
),

renamed as (
    select
        period as month_start,
        chief_name,
        chief_level,
        river,
        patrols,
        issues_found,
        issues_resolved,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
