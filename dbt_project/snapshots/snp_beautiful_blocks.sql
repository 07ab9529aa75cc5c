{#-
    The history of the beautiful-block list: the department sends the full list when it
    changes, so each build snapshots the latest list; a block that changes gets a new
    version, one that disappears is closed (hard_deletes = invalidate).
-#}
{% snapshot snp_beautiful_blocks %}

    {{
        config(
            unique_key='block_name',
            strategy='check',
            check_cols=['street_name', 'area_ha', 'year_built', 'block_kind'],
            hard_deletes='invalidate',
        )
    }}

    with

    blocks as (
        select * from {{ ref('stg_beautiful_blocks') }}
    ),

    latest_list as (
        select max(month_start) as month_start from blocks
    )

    select
        blocks.block as block_name,
        blocks.street as street_name,
        blocks.area_ha,
        blocks.year_built,
        blocks.kind as block_kind,
        blocks.month_start as list_month_start,
        blocks.batch_id
    from blocks
    inner join latest_list on blocks.month_start = latest_list.month_start

{% endsnapshot %}
