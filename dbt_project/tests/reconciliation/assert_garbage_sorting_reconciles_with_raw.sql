-- The fact holds exactly the current batches: per month, as many rows and the same
-- tonnages as raw. A row here fails the build, and the previous marts stay published.
{{ config(severity='error', tags=['reconciliation']) }}

{{ reconcile_with_raw(
    ref('fct_garbage_sorting_monthly'),
    'garbage_sorting',
    'month_start',
    ['residual_t', 'wet_t', 'recyclable_t', 'hazardous_t', 'residential_areas']
) }}
