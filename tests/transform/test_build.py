"""dbt builds the marts from current batches only, with its tests, on a real warehouse."""

from __future__ import annotations

import pytest

from cityops.ingest import ingest
from cityops.transform.dbt import build
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import garbage_rows, table, write


def test_build_models_current_batches_only(wh, tmp_path):
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    ingest(write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.1))), "garbage_sorting", "2025-03")
    result = build()
    assert result.success and not result.failures
    assert result.mart_rows["dim_street"] == 10
    assert result.mart_rows["fct_garbage_sorting_monthly"] == 10
    fact = query(
        wh,
        "select street_code, total_t, residual_t + wet_t + recyclable_t + hazardous_t, "
        "compliant_share_pct, residential_areas, compliant_residential_areas "
        "from marts.fct_garbage_sorting_monthly where street_name = '华阳路街道'",
    )[0]
    code, total, parts, share, areas, compliant = fact
    assert code == "310105001000" and total == parts
    assert float(share) == pytest.approx(round(100 * compliant / areas, 2))
    expected = sum(r[2] for r in garbage_rows(scale=1.1))
    assert float(scalar(wh, "select sum(residual_t) from marts.fct_garbage_sorting_monthly")) == pytest.approx(expected)


def test_the_fact_reconciles_with_raw_current_batches(wh, tmp_path):
    ingest(write(tmp_path / "feb.xlsx", table(garbage_rows(period="2025-02"))), "garbage_sorting", "2025-02")
    ingest(write(tmp_path / "mar.xlsx", table()), "garbage_sorting", "2025-03")
    build()
    raw = query(
        wh,
        "select r.period, sum(r.wet_t) from raw.garbage_sorting r join audit.ingest_batches b "
        "on b.batch_id = r._batch_id and b.status = 'current' group by 1 order by 1",
    )
    mart = query(wh, "select month_start, sum(wet_t) from marts.fct_garbage_sorting_monthly group by 1 order by 1")
    assert raw == mart and len(mart) == 2


def test_the_month_close_skips_dbt_when_nothing_changed(wh, tmp_path):
    from cityops.transform.freshness import build_marts

    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    assert "ok" in build_marts()["build"]
    again = build_marts()
    assert "skipped" in again["build"] and again["marts"]["fct_garbage_sorting_monthly"] == 10
    ingest(write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.2))), "garbage_sorting", "2025-03")
    assert "ok" in build_marts()["build"], "a new batch must rebuild the marts"
