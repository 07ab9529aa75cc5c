-- One row per month for which any dataset has a current batch: the months the
-- scorecard reports on, whether or not a given indicator has a value.
with

batches as (
    select * from {{ source('audit', 'ingest_batches') }}
),

months as (
    select distinct period as month_start
    from batches
    where status = 'current'
)

select * from months
