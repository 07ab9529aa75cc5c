"""Freshness by reporting month: the generated dbt sources carry it, `cityops status` and the
month close's summary show a stale source, and dbt's own `source freshness` agrees."""

from __future__ import annotations

import datetime as dt
import json

import yaml

from cityops import periods
from cityops.contracts import all_contracts
from cityops.ingest import ingest
from cityops.load.warehouse import connect
from cityops.load.withdraw import withdraw
from cityops.report.console import print_stale_sources
from cityops.report.month import write_summary
from cityops.transform.source_freshness import ERROR_DAYS, WARN_DAYS, check
from cityops.transform.sources import sources_path
from tests.fixtures.commands import cityops
from tests.fixtures.garbage import garbage_rows, table, write


def _at(day: str) -> dt.datetime:
    return periods.end_of_day(dt.date.fromisoformat(day))


def _garbage(wh, tmp_path, period: str) -> None:
    path = write(tmp_path / f"{period}.xlsx", table(garbage_rows(period)))
    assert ingest(path, "garbage_sorting", period, home=wh).status == "loaded"


def _state(wh, now: dt.datetime) -> str:
    with connect(wh) as conn:
        return next(f.state for f in check(conn, now) if f.dataset == "garbage_sorting")


def test_the_generated_sources_carry_freshness_for_monthly_extracts_only():
    document = yaml.safe_load(sources_path().read_text(encoding="utf-8"))
    tables = {t["name"]: t for t in document["sources"][0]["tables"]}
    for dataset, contract in all_contracts().items():
        config = tables[dataset].get("config")
        if contract.submission != "monthly":
            assert config is None, dataset
            continue
        assert "_loaded_at" in config["loaded_at_field"] and "period" in config["loaded_at_field"], dataset
        assert config["freshness"]["warn_after"] == {"count": WARN_DAYS, "period": "day"}
        assert config["freshness"]["error_after"] == {"count": ERROR_DAYS, "period": "day"}
        assert "status = 'current'" in config["freshness"]["filter"]


def test_a_source_goes_stale_when_its_next_month_is_overdue(wh, tmp_path, capsys):
    _garbage(wh, tmp_path, "2025-01")
    assert _state(wh, _at("2025-03-05")) == "fresh"  # February is not due before the 10th of March
    assert _state(wh, _at("2025-03-15")) == "warn"
    assert _state(wh, _at("2025-04-20")) == "error"
    _garbage(wh, tmp_path, "2025-02")
    assert _state(wh, _at("2025-03-15")) == "fresh"
    withdraw("garbage_sorting", dt.date(2025, 2, 1), reason="wrong month", by="test", home=wh)
    assert _state(wh, _at("2025-03-15")) == "warn", "a withdrawn month says nothing about freshness"

    done = cityops("status", "--period", "2025-02", "--as-of", "2025-03-15", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["dataset"]: r for r in json.loads(done.stdout)}
    assert rows["garbage_sorting"]["freshness"]["state"] == "warn"
    assert rows["garbage_sorting"]["freshness"]["newest_month"] == "2025-01"

    summary = write_summary("2025-02", [], {"build": "test"}, [])  # the close's summary, as of now
    assert "garbage_sorting" in {s["dataset"] for s in summary["stale_sources"]}
    print_stale_sources(summary["stale_sources"])  # what `cityops run` prints under the summary
    printed = capsys.readouterr().out
    assert "Stale sources" in printed and "garbage_sorting" in printed.split("Stale sources")[1]


def test_a_month_loaded_late_is_as_fresh_as_the_month_it_reports(wh, tmp_path):
    """Loaded today, January 2025 is still old news: least(_loaded_at, end of the period)."""
    _garbage(wh, tmp_path, "2025-01")
    assert _state(wh, periods.now()) == "error"


def test_dbt_source_freshness_agrees(wh, tmp_path):
    from dbt.cli.main import dbtRunner

    from cityops.transform.dbt import dbt_args, prepare
    from tests.fixtures.rows import load, valid_rows

    last_month = periods.previous_month(periods.month_of(periods.now().date()))
    _garbage(wh, tmp_path, f"{last_month:%Y-%m}")  # fresh now
    assert load(tmp_path, "water_quality", valid_rows("water_quality"), "2025-03").status == "loaded"  # long stale
    prepare(wh)
    select = ["--select", "source:raw.garbage_sorting", "source:raw.water_quality"]
    result = dbtRunner().invoke(["source", *dbt_args(wh, "freshness", *select)])
    statuses = {r.node.name: str(r.status) for r in result.result.results}
    assert statuses == {"garbage_sorting": "pass", "water_quality": "error"}, statuses
    with connect(wh) as conn:
        ours = {f.dataset: f.state for f in check(conn)}
    assert (ours["garbage_sorting"], ours["water_quality"]) == ("fresh", "error")
