-- One row per river chief × river × month, current batches only.
with

source as (
    {{ current_rows('river_chief_patrols') }}
),

renamed as (
    select
        period as month_start,
        chief_name,
        chief_level,
        river as water_body_name,
        patrols,
        issues_found,
        issues_resolved,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
