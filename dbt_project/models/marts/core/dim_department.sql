-- One row per reporting department (填报部门).
with

departments as (
    select * from {{ ref('ref_departments') }}
)

select
    department_code,
    department_name,
    name_en as department_name_en
from departments
