-- One row per figure × month × published batch: each figure as first reported and as
-- every correction restated it, with the batch and when it was received and decided.
-- The marts show only the current version; this is the restatement trail.
with

figures as (
    select * from {{ ref('int_figures_published') }}
),

ordered as (
    select
        *,
        row_number() over (
            partition by dataset, month_start, figure_key order by received_at, batch_id
        ) as revision_number,
        first_value(value) over (
            partition by dataset, month_start, figure_key order by received_at, batch_id
        ) as first_reported_value
    from figures
),

current_values as (
    select
        dataset,
        month_start,
        figure_key,
        value as current_value
    from figures
    where batch_status = 'current'
),

final as (
    select
        ordered.dataset,
        ordered.month_start,
        ordered.figure_key,
        ordered.revision_number::integer as revision_number,
        ordered.value,
        ordered.first_reported_value,
        current_values.current_value,
        ordered.value - ordered.first_reported_value as change_from_first,
        ordered.revision_number = 1 as is_first_reported,
        ordered.batch_status = 'current' as is_current,
        ordered.batch_id,
        ordered.batch_status,
        ordered.received_at,
        ordered.decided_at
    from ordered
    left join current_values
        on
            ordered.dataset = current_values.dataset
            and ordered.month_start = current_values.month_start
            and ordered.figure_key = current_values.figure_key
)

select * from final
