-- One row per street or town (街镇) of Changning District: the ten of the plan.
with

streets as (
    select * from {{ ref('ref_streets') }}
)

select
    street_code,
    street_name,
    short_name,
    name_en as street_name_en,
    kind as street_kind
from streets
