{#-
    A mart reconciles with raw when, month by month, it has as many rows as the current
    batches and the same totals: a join that drops a street, a stale batch or a double
    count shows up as a row of this query (and fails the build before the swap).

    - measures: raw columns the mart carries or sums under the same name;
    - row_count_column: for a mart that aggregates (one row per month × zone, say), the
      column that counts the raw rows it stands for; else the mart's rows are counted;
    - where: which mart rows stand for their month once (a list carried forward to later
      months counts in the month it was sent);
    - the raw side's month is the batch's (audit), so the ticket extracts, which have no
      period column, reconcile too;
    - changed_months_only: a fact incremental by batch month; in a build of new batches only
      the months those batches touched are compared (macros/new_batches.sql,
      changed_batch_months): the others are the rows the last good build reconciled, and
      comparing them read the whole fact and every raw partition of the dataset.
-#}
{% macro reconcile_with_raw(model, dataset, month_column, measures, row_count_column=none, where=none, changed_months_only=false) -%}
    {%- set scope = changed_batch_months(dataset) if changed_months_only else none -%}
    with

    mart as (
        select
            {{ month_column }} as month_start,
            {% if row_count_column -%}
            sum({{ row_count_column }}) as row_count
            {%- else -%}
            count(*) as row_count
            {%- endif %}
            {%- for measure in measures %},
            sum({{ measure }}) as {{ measure }}
            {%- endfor %}
        from {{ model }}
        where {{ where or 'true' }}
        {%- if scope is not none %}
            and {{ month_column }} in ({{ scope.months or 'null' }})
        {%- endif %}
        group by 1
    ),

    raw_current as (
        select
            _batch_period as month_start,
            count(*) as row_count
            {%- for measure in measures %},
            sum({{ measure }}) as {{ measure }}
            {%- endfor %}
        from ({{ current_rows(dataset) }}) as current_rows
        {%- if scope is not none %}
        where _batch_id in ({{ scope.batches or 'null' }})
        {%- endif %}
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
