-- One row per month for which any dataset has a current batch: the months the
-- scorecard reports on, whether or not a given indicator has a value.
with

batches as (
    select * from {{ ref('stg_ingest_batches') }}
),

months as (
    select distinct month_start
    from batches
    where is_current
)

select * from months
