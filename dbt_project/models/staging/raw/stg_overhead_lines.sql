-- Generated from expectations/overhead_lines.yml by `cityops contracts sources --write`. Do not edit.
-- One row per project × month of the current batches: Overhead-line burial and pole-merging
-- project progress.
with

source as (
    {{ current_rows('overhead_lines') }}
),

renamed as (
    select
        period as month_start,
        project_id,
        road,
        zone,
        planned_km,
        started_km,
        completed_km,
        merged_poles,
        status,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
