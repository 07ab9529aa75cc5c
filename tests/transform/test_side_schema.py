"""What a partial build stages in `marts__next`, and how a delta is merged into its fact."""

from __future__ import annotations

import json

import pytest

from cityops.errors import BuildFailed
from cityops.load.warehouse import connect
from cityops.transform import side_schema
from tests.fixtures.db import query

SOURCE = "source.cityops.raw.hotline_cases"


def _model(name: str, materialized: str, publish: str | None = None) -> dict:
    config = {"materialized": materialized, "meta": {"cityops_publish": publish} if publish else {}}
    return {"resource_type": "model", "name": name, "schema": side_schema.NEXT, "config": config}


def _manifest(tmp_path, readers_of_fact: dict[str, str]) -> None:
    """A last good build's manifest: raw -> a large fact (merge) -> its readers."""
    nodes = {"model.cityops.fct_tickets": _model("fct_tickets", "incremental", "merge")}
    children = {SOURCE: ["model.cityops.fct_tickets"], "model.cityops.fct_tickets": ["test.cityops.unique_x"]}
    for name, materialized in readers_of_fact.items():
        nodes[f"model.cityops.{name}"] = _model(name, materialized, "swap")
        children["model.cityops.fct_tickets"].append(f"model.cityops.{name}")
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes, "child_map": children}), encoding="utf-8")


def test_a_large_fact_read_only_incrementally_is_a_delta_its_rollup_a_copy(tmp_path):
    _manifest(tmp_path, {"fct_tickets_monthly": "incremental"})
    staging = side_schema.plan_staging(tmp_path, ["hotline_cases"], deltas_allowed=True)
    assert (staging.deltas, staging.copies) == (["fct_tickets"], ["fct_tickets_monthly"])


def test_a_large_fact_a_table_reads_whole_is_copied(tmp_path):
    """A table model reading the fact would see only the new months in a delta."""
    _manifest(tmp_path, {"fct_tickets_monthly": "incremental", "tickets_by_street": "table"})
    staging = side_schema.plan_staging(tmp_path, ["hotline_cases"], deltas_allowed=True)
    assert (staging.deltas, staging.copies) == ([], ["fct_tickets", "fct_tickets_monthly"])


def test_a_changed_project_copies_the_large_facts(tmp_path):
    """A changed model may add columns (append_new_columns) the published fact lacks."""
    _manifest(tmp_path, {"fct_tickets_monthly": "incremental"})
    staging = side_schema.plan_staging(tmp_path, ["hotline_cases"], deltas_allowed=False)
    assert staging.deltas == [] and staging.copies == ["fct_tickets", "fct_tickets_monthly"]


@pytest.fixture
def published_fact(wh):
    """marts.fct_demo: two months, and a row of a batch withdrawn since."""
    with connect(wh) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("drop table if exists marts.fct_demo")
        conn.execute("create table marts.fct_demo (month_start date, batch_id uuid, n int)")
        conn.execute(
            "insert into marts.fct_demo values ('2025-01-01', '00000000-0000-0000-0000-00000000000a', 1),"
            " ('2025-02-01', '00000000-0000-0000-0000-00000000000b', 2),"
            " ('2025-03-01', '00000000-0000-0000-0000-00000000000c', 3)"
        )
        side_schema.create(conn, tested=[])
        conn.execute(f"insert into {side_schema.NEXT}.retired_batches values ('00000000-0000-0000-0000-00000000000c')")
    yield wh
    with connect(wh) as conn:
        side_schema.drop(conn)
        conn.execute("drop table if exists marts.fct_demo")


def test_a_delta_replaces_its_months_and_drops_retired_batches(published_fact):
    with connect(published_fact) as conn:
        assert side_schema.stage_deltas(conn, ["fct_demo", "not_published_yet"]) == ["fct_demo"]
        conn.execute(
            f"insert into {side_schema.NEXT}.fct_demo values ('2025-02-01', '00000000-0000-0000-0000-0000000000b2', 20)"
        )
        side_schema.swap_in(conn, ["fct_demo"])
    rows = query(published_fact, "select month_start::text, n from marts.fct_demo order by 1")
    assert rows == [("2025-01-01", 1), ("2025-02-01", 20)], "February replaced, March's withdrawn batch gone"


def test_a_delta_whose_columns_changed_publishes_nothing_and_says_what_to_do(published_fact):
    with connect(published_fact) as conn:
        side_schema.stage_deltas(conn, ["fct_demo"])
        conn.execute(f"alter table {side_schema.NEXT}.fct_demo add column extra text")
        with pytest.raises(BuildFailed, match="cityops build --full-refresh"):
            side_schema.swap_in(conn, ["fct_demo"])
    assert query(published_fact, "select count(*) from marts.fct_demo") == [(3,)], "the published fact untouched"


def test_a_delta_dbt_rebuilt_whole_is_swapped_in(published_fact):
    """A model dbt dropped and built anew (say a full refresh) holds every month: it replaces the fact."""
    with connect(published_fact) as conn:
        side_schema.stage_deltas(conn, ["fct_demo"])
        conn.execute(f"drop table {side_schema.NEXT}.fct_demo")
        conn.execute(f"create table {side_schema.NEXT}.fct_demo as select * from marts.fct_demo where n = 1")
        side_schema.swap_in(conn, ["fct_demo"])
    assert query(published_fact, "select n from marts.fct_demo") == [(1,)]
