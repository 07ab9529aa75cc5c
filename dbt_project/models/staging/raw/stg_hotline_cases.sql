-- Generated from expectations/hotline_cases.yml by `cityops contracts sources --write`. Do not edit.
-- One row per ticket × month of the current batches: 12345 citizen hotline tickets. The file has
-- no month column: a row belongs to its batch's month, so a corrected month replaces exactly its
-- own rows.
with

source as (
    {{ current_rows('hotline_cases') }}
),

renamed as (
    select
        _batch_period as month_start,
        ticket_id,
        received_at,
        channel,
        request_type,
        category,
        subcategory,
        street,
        address,
        description,
        caller_phone_hash,
        handling_dept,
        dispatched_at,
        closed_at,
        status,
        on_time = '是' as is_on_time,
        satisfaction,
        _batch_id as batch_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
