-- One row per grid-management case of a current batch; the reporting month is the
-- batch's, as for the hotline.
with

source as (
    {{ current_rows('grid_cases') }}
),

batches as (
    select * from {{ source('audit', 'ingest_batches') }}
),

renamed as (
    select
        source.case_id,
        batches.period as month_start,
        source.source as discovery_source,
        source.case_type,
        source.category,
        source.subcategory,
        source.street as street_name,
        source.grid_code,
        source.lon,
        source.lat,
        source.reported_at,
        source.dispatched_at,
        source.closed_at,
        source.deadline_h,
        source.overdue = '是' as is_overdue,
        source._batch_id as batch_id,
        source._loaded_at as loaded_at
    from source
    inner join batches on source._batch_id = batches.batch_id
)

select * from renamed
