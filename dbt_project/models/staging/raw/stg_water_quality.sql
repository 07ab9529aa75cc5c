-- Generated from expectations/water_quality.yml by `cityops contracts sources --write`. Do not edit.
-- One row per river × monitoring section × month of the current batches: Monthly river water-
-- quality monitoring.
with

source as (
    {{ current_rows('water_quality') }}
),

renamed as (
    select
        period as month_start,
        river,
        section,
        do_mg_l,
        codmn_mg_l,
        nh3n_mg_l,
        tp_mg_l,
        water_class,
        computed_class,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
