-- One row per month: the beautiful-block list as it stood that month, its area as a
-- share of the district (38.27 km² = 3,827 ha; plan: ≥ 50% by 2025), the blocks built
-- since 2021 (plan: 8 new) and the streets covered (plan: all ten).
with

blocks as (
    select * from {{ ref('int_beautiful_blocks_matched') }}
),

final as (
    select
        month_start,
        list_month_start,
        count(*)::integer as blocks,
        count(*) filter (where block_kind = '示范街区')::integer as demonstration_blocks,
        count(*) filter (where year_built >= 2021)::integer as blocks_built_since_2021,
        sum(area_ha) as area_ha,
        round(100.0 * sum(area_ha) / 3827, 2) as area_share_pct,
        count(distinct street_name)::integer as streets_covered
    from blocks
    group by
        month_start,
        list_month_start
)

select * from final
