-- One row per illegal-construction case × month, as the ledger stood that month.
with

cases as (
    select * from {{ ref('stg_illegal_construction') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

final as (
    select
        cases.month_start,
        cases.case_id,
        streets.street_code,
        cases.kind as construction_kind,
        cases.origin = {{ contract_value('illegal_construction', 'origin', '新增') }} as is_new,
        cases.area_m2,
        cases.found_on,
        cases.demolished_on,
        cases.status as case_status,
        cases.found_on >= cases.month_start
        and cases.found_on < cases.month_start + interval '1 month' as is_found_this_month,
        cases.demolished_on >= cases.month_start
        and cases.demolished_on < cases.month_start + interval '1 month' as is_demolished_this_month,
        cases.batch_id,
        cases.loaded_at
    from cases
    left join streets on cases.street = streets.street_name
)

select * from final
