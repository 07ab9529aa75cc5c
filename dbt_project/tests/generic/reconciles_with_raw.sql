{#-
    The fact holds exactly raw's current batches, month by month: as many rows and the same
    totals (macros/reconcile_with_raw.sql). Every fact that carries or sums a raw column
    has one, at error severity: a row here fails the build and the previous marts stay.
    `changed_months_only: true` on a fact incremental by batch month: a build of new batches
    compares the months they touched (macros/reconcile_with_raw.sql).
-#}
{% test reconciles_with_raw(model, dataset, measures=[], month_column='month_start', row_count_column=none, where=none, changed_months_only=false) %}
    {{ config(severity='error', tags=['reconciliation']) }}
    {{ reconcile_with_raw(model, dataset, month_column, measures, row_count_column, where, changed_months_only) }}
{% endtest %}
