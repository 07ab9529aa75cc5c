-- One row per street × month × published batch: every version of the household-waste
-- report that was ever current, for the restatement trail (fct_revisions).
with

source as (
    {{ published_rows('garbage_sorting') }}
),

renamed as (
    select
        _batch_period as month_start,
        street,
        residual_t,
        wet_t,
        recyclable_t,
        hazardous_t,
        resource_utilization_pct,
        compliant_residential_areas,
        _batch_id as batch_id
    from source
)

select * from renamed
