-- One row per river × monitoring section × month: the class the department reported and
-- the class computed from the four measurements (GB 3838-2002), flagged where they differ.
with

water as (
    select * from {{ ref('stg_water_quality') }}
),

final as (
    select
        month_start,
        water_body_name,
        section_name,
        do_mg_l,
        codmn_mg_l,
        nh3n_mg_l,
        tp_mg_l,
        reported_class,
        computed_class,
        coalesce(reported_class != computed_class, true) as is_class_mismatch,
        reported_class = '劣Ⅴ' as is_worse_than_v,
        batch_id,
        loaded_at
    from water
)

select * from final
