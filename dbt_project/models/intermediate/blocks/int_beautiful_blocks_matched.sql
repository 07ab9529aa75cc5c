-- One row per reporting month × block: the list as it stood in that month, i.e. the
-- latest list sent in or before it (the department sends the list only when it changes).
with

blocks as (
    select * from {{ ref('stg_beautiful_blocks') }}
),

months as (
    select * from {{ ref('int_months_reported') }}
),

lists as (
    select distinct month_start as list_month_start from blocks
),

matched_lists as (
    select
        months.month_start,
        max(lists.list_month_start) as list_month_start
    from months
    inner join lists on months.month_start >= lists.list_month_start
    group by months.month_start
),

matched as (
    select
        matched_lists.month_start,
        matched_lists.list_month_start,
        blocks.block as block_name,
        blocks.street as street_name,
        blocks.area_ha,
        blocks.year_built,
        blocks.kind as block_kind,
        blocks.batch_id
    from matched_lists
    inner join blocks on matched_lists.list_month_start = blocks.month_start
)

select * from matched
