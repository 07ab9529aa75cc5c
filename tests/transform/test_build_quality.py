"""A failing dbt test keeps the previous marts in place; the marts reconcile with raw."""

from __future__ import annotations

import json

import pytest

from cityops.ingest import ingest
from cityops.load.warehouse import connect
from cityops.transform.dbt import build, invoke
from tests.fixtures.commands import cityops
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import garbage_rows, table, write

WET = "select sum(wet_t) from marts.fct_garbage_sorting_monthly"


def _execute(home, statement: str) -> None:
    with connect(home) as conn:
        conn.execute(statement)


def _side_schemas(home) -> list[tuple]:
    return query(home, "select nspname from pg_namespace where nspname like 'marts\\_\\_%'")


def test_a_failing_test_keeps_the_previous_marts(wh, tmp_path):
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    build()
    before = float(scalar(wh, WET))
    assert before == pytest.approx(sum(r[3] for r in garbage_rows()))
    ingest(write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.1))), "garbage_sorting", "2025-03")

    failed = cityops("build", env={"CITYOPS_DBT_VARS": json.dumps({"cityops_fail_build": True})})
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "assert_build_not_rehearsing_a_failure" in failed.stderr
    assert "The marts were not replaced: BI still reads the previous build" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert float(scalar(wh, WET)) == before  # BI still reads last month close's figures
    assert not _side_schemas(wh)

    build()  # the same data, nothing asked to fail: the corrected figures are published
    assert float(scalar(wh, WET)) == pytest.approx(sum(r[3] for r in garbage_rows(scale=1.1)))
    assert not _side_schemas(wh)


def test_the_reconciliation_finds_a_mart_that_differs_from_raw(wh, tmp_path):
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    build()  # the reconciliation ran inside the build, before the swap, and passed
    assert _reconciliation(wh).success
    # A mart that lost a street and miscounted another (what a bad join or a stale batch does):
    _execute(wh, "delete from marts.fct_garbage_sorting_monthly where street_name = '新泾镇'")
    _execute(wh, "update marts.fct_garbage_sorting_monthly set wet_t = wet_t + 1 where street_name = '虹桥街道'")
    checked = _reconciliation(wh)
    assert not checked.success
    failed = [r.node.attached_node for r in checked.result if str(r.status) == "fail"]
    assert failed == ["model.cityops.fct_garbage_sorting_monthly"]


def _reconciliation(home):
    """Only the reconciliation tests, against the published marts."""
    return invoke(home, "test", "--select", "tag:reconciliation")


def test_published_marts_keep_their_grants(wh, tmp_path):
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    build()
    _execute(wh, "do $$ begin create role cityops_test_reader nologin; exception when others then null; end $$")
    _execute(wh, "grant usage on schema marts to cityops_test_reader")
    build()
    assert scalar(wh, "select has_schema_privilege('cityops_test_reader', 'marts', 'usage')")


def test_the_swap_asks_for_a_quick_autovacuum_cancel_only_where_it_may(wh):
    """A superuser's swap waits 10 ms, not 1 s, for an autovacuum holding a published table;
    a transformer that is not one swaps with the server's default, without an error."""
    from cityops.load.access import grant_service_access
    from cityops.transform.side_schema import _cancel_autovacuum_soon

    with connect(wh) as conn:
        grant_service_access(conn)  # the roles exist
        with conn.transaction():
            _cancel_autovacuum_soon(conn)
            assert conn.execute("show deadlock_timeout").fetchone()[0] == "10ms"
        with conn.transaction():
            conn.execute("set local role cityops_transformer")
            _cancel_autovacuum_soon(conn)
            assert conn.execute("show deadlock_timeout").fetchone()[0] == "1s"
        assert conn.execute("show deadlock_timeout").fetchone()[0] == "1s"  # this transaction's only
