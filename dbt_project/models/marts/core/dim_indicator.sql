-- One row per indicator of the plan's catalog, with its 2020 baseline and its target.
with

indicators as (
    select * from {{ ref('ref_indicators') }}
),

departments as (
    select * from {{ ref('ref_departments') }}
)

select
    indicators.indicator_code,
    indicators.name_zh as indicator_name_zh,
    indicators.name_en as indicator_name_en,
    indicators.subject,
    indicators.unit,
    indicators.value_min,
    indicators.value_max,
    departments.department_code as owner_department_code,
    indicators.owner_department as owner_department_name,
    indicators.baseline,
    indicators.baseline_year,
    indicators.target,
    indicators.target_year,
    indicators.direction,
    indicators.period_kind,
    indicators.source as source_model,
    indicators.note_zh
from indicators
left join departments on indicators.owner_department = departments.department_name
