-- One row per indicator × scope × month × published batch: every version of the monthly
-- indicator report that was ever current, for the restatement trail (fct_revisions).
with

source as (
    {{ published_rows('city_indicators') }}
),

renamed as (
    select
        _batch_period as month_start,
        indicator_code,
        scope,
        value,
        _batch_id as batch_id
    from source
)

select * from renamed
