-- One row per month: the beautiful-block list as it stood that month, its area as a
-- share of the district (38.27 km² = 3,827 ha; plan: ≥ 50% by 2025), the blocks built
-- since the plan began (plan: 8 new) and the streets covered (plan: all ten).
with

blocks as (
    select * from {{ ref('int_beautiful_blocks_matched') }}
),

plan as (
    select * from {{ ref('ref_plan') }}
),

final as (
    select
        blocks.month_start,
        blocks.list_month_start,
        count(*)::integer as blocks,
        count(*) filter (
            where blocks.block_kind = {{ contract_value('beautiful_blocks', 'kind', '示范街区') }}
        )::integer as demonstration_blocks,
        count(*) filter (where blocks.year_built >= plan.start_year)::integer as blocks_built_since_2021,
        sum(blocks.area_ha) as area_ha,
        round(100.0 * sum(blocks.area_ha) / 3827, 2) as area_share_pct,
        count(distinct blocks.street_name)::integer as streets_covered
    from blocks
    cross join plan
    group by
        blocks.month_start,
        blocks.list_month_start
)

select * from final
