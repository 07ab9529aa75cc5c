-- One row per river × monitoring section × month: the class the department reported and
-- the class computed from the four measurements (GB 3838-2002), flagged where they differ.
with

water as (
    select * from {{ ref('stg_water_quality') }}
),

final as (
    select
        month_start,
        river as water_body_name,
        section as section_name,
        do_mg_l,
        codmn_mg_l,
        nh3n_mg_l,
        tp_mg_l,
        water_class as reported_class,
        computed_class,
        coalesce(water_class != computed_class, true) as is_class_mismatch,
        water_class = {{ contract_value('water_quality', 'water_class', '劣Ⅴ') }} as is_worse_than_v,
        batch_id,
        loaded_at
    from water
)

select * from final
