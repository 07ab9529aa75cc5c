-- One row per hotline ticket of a current batch. Tickets carry no month column: the
-- reporting month is the batch's, so a corrected month replaces exactly its tickets.
with

source as (
    {{ current_rows('hotline_cases') }}
),

batches as (
    select * from {{ source('audit', 'ingest_batches') }}
),

renamed as (
    select
        source.ticket_id,
        batches.period as month_start,
        source.received_at,
        source.channel,
        source.request_type,
        source.category,
        source.subcategory,
        source.street as street_name,
        source.caller_phone_hash,
        source.handling_dept,
        source.dispatched_at,
        source.closed_at,
        source.status as ticket_status,
        source.on_time = '是' as is_on_time,
        source.satisfaction,
        source._batch_id as batch_id,
        source._loaded_at as loaded_at
    from source
    inner join batches on source._batch_id = batches.batch_id
)

select * from renamed
