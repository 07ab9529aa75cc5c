-- One row per water body of the registry (河湖名录): rivers, lakes, small water bodies.
with

water_bodies as (
    select * from {{ ref('ref_water_bodies') }}
)

select
    water_body_name,
    kind as water_body_kind,
    length_km,
    named_in_plan as is_named_in_plan,
    aliases
from water_bodies
