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
    block_name,
    street_name,
    area_ha,
    year_built,
    block_kind,
    list_month_start,
    batch_id
from blocks
where list_month_start = (select max(list_month_start) from blocks)

{% endsnapshot %}
