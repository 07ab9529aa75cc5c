{#-
    A mart reconciles with raw when, month by month, it has as many rows as the current
    batches and the same totals: a join that drops a street, a stale batch or a double
    count shows up as a row of this query (and fails the build before the swap).
-#}
{% macro reconcile_with_raw(model, dataset, month_column, measures) -%}
    with

    mart as (
        select
            {{ month_column }} as month_start,
            count(*) as row_count
            {%- for measure in measures %},
            sum({{ measure }}) as {{ measure }}
            {%- endfor %}
        from {{ model }}
        group by 1
    ),

    raw_current as (
        select
            period as month_start,
            count(*) as row_count
            {%- for measure in measures %},
            sum({{ measure }}) as {{ measure }}
            {%- endfor %}
        from ({{ current_rows(dataset) }}) as current_rows
        group by 1
    )

    select
        coalesce(mart.month_start, raw_current.month_start) as month_start,
        mart.row_count as mart_rows,
        raw_current.row_count as raw_rows
    from mart
    full outer join raw_current on mart.month_start = raw_current.month_start
    where
        mart.row_count is distinct from raw_current.row_count
        {%- for measure in measures %}
        or mart.{{ measure }} is distinct from raw_current.{{ measure }}
        {%- endfor %}
{%- endmacro %}
