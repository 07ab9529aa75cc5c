-- One row per river × monitoring section × month, current batches only.
with

source as (
    {{ current_rows('water_quality') }}
),

renamed as (
    select
        period as month_start,
        river as water_body_name,
        section as section_name,
        do_mg_l,
        codmn_mg_l,
        nh3n_mg_l,
        tp_mg_l,
        water_class as reported_class,
        computed_class,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
