"""dbt builds the marts from current batches only, with its tests, on a real warehouse."""

from __future__ import annotations

import threading
import time

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


def test_nothing_changed_is_decided_before_dbt_starts_and_a_second_build_waits(wh, tmp_path, monkeypatch):
    from cityops import locks
    from cityops.load.warehouse import connect
    from cityops.transform import freshness
    from cityops.transform.dbt import build_marts

    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    assert "ok" in build_marts()["build"]
    again = build_marts()
    assert "skipped" in again["build"] and again["marts"]["fct_garbage_sorting_monthly"] == 10

    # A batch published while a build runs (after it read the state, before dbt started):
    # that build records the state it started from, so the next one builds again.
    read_state = freshness.current_state

    def a_batch_lands_meanwhile(conn):
        state = read_state(conn)
        monkeypatch.setattr(freshness, "current_state", read_state)
        april = write(tmp_path / "b.xlsx", table(garbage_rows(period="2025-04", scale=1.2)))
        assert ingest(april, "garbage_sorting", "2025-04").status == "loaded"
        return state

    ingest(write(tmp_path / "c.xlsx", table(garbage_rows(scale=1.1))), "garbage_sorting", "2025-03")
    monkeypatch.setattr(freshness, "current_state", a_batch_lands_meanwhile)
    assert "ok" in build_marts()["build"]
    assert not freshness.marts_up_to_date(wh), "the batch published during the build was counted as built"
    assert "ok" in build_marts()["build"], "the next run builds"
    assert freshness.marts_up_to_date(wh)

    # One build at a time: while another session holds the build lock, a build waits for it.
    done: list = []
    with connect(wh) as holder, locks.dbt_build_lock(holder):
        waiting = threading.Thread(target=lambda: done.append(build_marts()), daemon=True)
        waiting.start()
        while not _waits_for_the_build_lock(wh) and waiting.is_alive():
            time.sleep(0.2)
        assert waiting.is_alive() and not done, "the second build did not wait for the first"
    waiting.join(timeout=120)
    assert "skipped" in done[0]["build"], "it then found the marts up to date"


def test_each_build_plans_from_the_last_build_the_warehouse_published(wh, tmp_path, monkeypatch):
    """Airflow's workers build one warehouse, each with its own CITYOPS_HOME (on its own
    machine): what the marts were built from is recorded in the warehouse, committed with
    the marts, so a worker plans from the last build anyone published, not its own last.
    (Planned from its own, worker A took February's tickets as untested and found none of
    them in the month's delta: a failed build, again at every run.)"""
    from cityops.load.warehouse import url
    from cityops.periods import parse_period
    from cityops.settings import Home
    from cityops_dev.samples import write_month

    def tickets(period: str) -> None:
        (path,) = write_month(parse_period(period), tmp_path / period, datasets=["hotline_cases"], hotline_rows=200)
        assert ingest(path, "hotline_cases", period).status == "loaded"

    monkeypatch.setenv("CITYOPS_WAREHOUSE_URL", url(wh))
    worker_a, worker_b = wh, Home(tmp_path / "worker-b").ensure()
    tickets("2025-01")
    assert build(home=worker_a).success
    tickets("2025-02")
    by_b = build(home=worker_b)
    assert "new or corrected batches of hotline_cases" in by_b.reason, "B read A's build from the warehouse"
    tickets("2025-03")
    by_a = build(home=worker_a)
    assert "new or corrected batches of hotline_cases" in by_a.reason
    assert query(wh, "select month_start::text, count(*) from marts.fct_hotline_tickets group by 1 order by 1") == [
        ("2025-01-01", 200), ("2025-02-01", 200), ("2025-03-01", 200),
    ]  # fmt: skip
    published = query(wh, "select reason from audit.mart_builds order by build_id")
    assert [reason for (reason,) in published] == [
        "no good build is recorded in the warehouse: everything",
        "new or corrected batches of hotline_cases",
        "new or corrected batches of hotline_cases",
    ]


def _waits_for_the_build_lock(home) -> bool:
    from cityops import locks

    waiting = "select count(*) from pg_locks where locktype = 'advisory' and objid = %s and not granted"
    return scalar(home, waiting, locks.DBT_BUILD) > 0


def test_a_build_gives_the_planner_the_audit_tables_statistics(wh, tmp_path):
    """Without them PostgreSQL joined raw to the batches by a loop that read a new batch's
    partition once per current batch: a month of tickets took 0.5 s instead of 0.12 s."""
    from cityops.transform.dbt import prepare

    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    prepare(wh)
    assert scalar(wh, "select reltuples from pg_class where oid = 'audit.ingest_batches'::regclass") == 1
