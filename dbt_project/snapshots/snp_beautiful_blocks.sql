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
)

select
    block as block_name,
    street as street_name,
    area_ha,
    year_built,
    kind as block_kind,
    month_start as list_month_start,
    batch_id
from blocks
where month_start = (select max(month_start) from blocks)

{% endsnapshot %}
