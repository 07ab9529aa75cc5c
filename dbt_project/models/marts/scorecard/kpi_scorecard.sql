{#-
    One row per plan indicator × reporting month. The status rule (also in the YAML):
      expected = the target as it applies that month:
        month kind       the target itself;
        year kind        target × month / 12 (a year total, paced through the year);
        cumulative kind  with a target year: baseline (or 0) + (target − baseline) ×
                         plan months elapsed since the plan began (2021-01, seed ref_plan)
                         / plan months to the end of the target year, capped at the
                         target; else the target;
        no target        the 2020 baseline (higher/lower_better: hold the baseline).
      at_least / higher_better: on_track if value ≥ expected; at_risk if short by at most
        5% of |expected|; else off_track. at_most / lower_better mirrors it.
      no_data where nothing was reported for the month; on_track where there is neither
      target nor baseline to fall short of.
-#}
with

indicators as (
    select * from {{ ref('dim_indicator') }}
),

months as (
    select * from {{ ref('int_months_reported') }}
),

indicator_values as (
    select * from {{ ref('fct_indicator_values') }}
),

plan as (
    select * from {{ ref('ref_plan') }}
),

every_indicator_month as (
    select
        indicators.*,
        months.month_start,
        plan.start_year as plan_start_year
    from indicators
    cross join months
    cross join plan
),

matched as (
    -- the catalog names the source of each indicator; other sources are ignored
    select
        every_indicator_month.*,
        indicator_values.value,
        indicator_values.source_batch_id
    from every_indicator_month
    left join indicator_values
        on
            every_indicator_month.indicator_code = indicator_values.indicator_code
            and every_indicator_month.month_start = indicator_values.month_start
            and every_indicator_month.source_model = indicator_values.source_model
),

paced as (
    select
        *,
        case
            when target is null then baseline
            when period_kind = 'year'
                then target * extract(month from month_start) / 12
            when period_kind = 'cumulative' and target_year is not null
                then coalesce(baseline, 0) + (target - coalesce(baseline, 0)) * greatest(
                    0,
                    least(
                        1,
                        ((extract(year from month_start) - plan_start_year) * 12 + extract(month from month_start))
                        / ((target_year - plan_start_year + 1) * 12.0)
                    )
                )
            else target
        end as expected_raw
    from matched
),

scored as (
    select
        *,
        round(expected_raw, 4) as expected_value,
        case
            when value is null then 'no_data'
            when expected_raw is null then 'on_track'
            when direction in ('at_least', 'higher_better') and value >= expected_raw then 'on_track'
            when direction in ('at_least', 'higher_better') and value >= expected_raw - 0.05 * abs(expected_raw)
                then 'at_risk'
            when direction in ('at_most', 'lower_better') and value <= expected_raw then 'on_track'
            when direction in ('at_most', 'lower_better') and value <= expected_raw + 0.05 * abs(expected_raw)
                then 'at_risk'
            else 'off_track'
        end as status
    from paced
),

final as (
    select
        indicator_code,
        month_start,
        indicator_name_zh,
        indicator_name_en,
        subject,
        unit,
        period_kind,
        direction,
        value,
        baseline,
        target,
        target_year,
        expected_value,
        round(value - expected_raw, 4) as gap_to_expected,
        status,
        source_model,
        source_batch_id,
        case
            when value is null then null
            when source_batch_id is null then source_model
            else source_model || ' batch ' || source_batch_id::text
        end as source_description
    from scored
)

select * from final
