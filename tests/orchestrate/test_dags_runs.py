"""The DAGs run through real Airflow (`airflow dags test`, SQLite metadata) on the session's warehouse.

One Airflow metadata DB per test session (migrated once); each test starts from an empty
warehouse and empty landing/ (the `wh` fixture). Sample months under extract/samples/
are used when they exist (all datasets); otherwise the garbage_sorting writers.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

from cityops.orchestrate import naming
from cityops.periods import next_month, parse_period
from tests.fixtures.commands import ROOT
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import garbage_rows, table, write
from tests.fixtures.pii import airflow_metadata, clear_phones, phones_in

pytestmark = pytest.mark.slow
SAMPLES = ROOT / "extract" / "samples"


def land_month(home, period: str, *, samples: bool = True) -> set[str]:
    """Put a month of department files in landing/, as if sent on the 5th of the next month."""
    month = parse_period(period)
    sent = dt.datetime.combine(next_month(month).replace(day=5), dt.time(9)).timestamp()
    if samples and (SAMPLES / period).is_dir():
        shutil.copytree(SAMPLES / period, home.landing, dirs_exist_ok=True)
    else:
        folder = home.landing / "garbage_sorting"
        folder.mkdir(parents=True, exist_ok=True)
        write(folder / f"{period}.xlsx", table(garbage_rows(period, scale=1 + month.month / 10)))
    landed = set()
    for path in home.landing.glob(f"*/{period}*"):
        os.utime(path, (sent, sent))
        landed.add(path.parent.name)
    return landed


def test_the_month_flow_through_airflow_loads_every_landed_file_and_builds_the_marts(wh):
    from cityops.orchestrate.airflow_run import run_monthly_dag

    landed = land_month(wh, "2025-03")
    phones = set().union(*(phones_in(p.read_bytes().decode("gb18030")) for p in wh.landing.glob("hotline_cases/*")))
    summary = run_monthly_dag("2025-03", wh)
    outcomes = {f["dataset"]: f for f in summary["files"]}
    assert set(outcomes) == landed
    assert outcomes["garbage_sorting"]["status"] == "loaded" and outcomes["garbage_sorting"]["rows"] == 10
    assert all(f["status"] in {"loaded", "rejected"} for f in summary["files"]), summary["files"]
    assert summary["marts"]["fct_garbage_sorting_monthly"] == 10
    assert scalar(wh, "select count(*) from marts.fct_garbage_sorting_monthly") == 10
    loaded = {d for d, f in outcomes.items() if f["status"] == "loaded"}
    assert scalar(wh, "select count(*) from audit.ingest_batches where status = 'current'") == len(loaded)
    calendar = {r["dataset"]: r["state"] for r in summary["submissions"]}
    assert calendar["garbage_sorting"] == "loaded", "landed on the 5th: on time, whenever the close runs"
    assert all(calendar[d] in {"missing", "snapshot"} for d in calendar if d not in landed)
    assert not list(wh.landing.glob("garbage_sorting/*")), "a loaded file leaves landing/ for the archive"

    # Airflow's metadata holds no clear phone number: XCom, rendered templates, DAG-run confs,
    # task logs (the hotline month's 30,000 callers went through this run).
    assert len(phones) > 1000 and clear_phones([("probe", "回电 +86-" + min(phones))], phones)
    places = airflow_metadata(wh.airflow / "airflow.db", [wh.logs, wh.root / "runs"])
    assert clear_phones(places, phones) == []


def test_a_two_month_backfill_is_one_run_and_a_failing_test_through_airflow_publishes_nothing(wh, webhook, monkeypatch):
    from cityops.errors import AirflowRunFailed
    from cityops.ingest import ingest
    from cityops.orchestrate.airflow_run import run_months

    for period in ("2025-01", "2025-02"):
        land_month(wh, period, samples=False)
    # January was closed before: its file is loaded, and the department sends it again.
    january = wh.landing / "garbage_sorting" / "2025-01.xlsx"
    assert ingest(january, "garbage_sorting", "2025-01").status == "loaded"
    archived = next(wh.archive.rglob("*.xlsx"))
    shutil.copy(archived, january)
    current = "select batch_id from audit.ingest_batches where status = 'current' and period = '2025-01-01'"
    before = scalar(wh, current)
    summaries = run_months("2025-01", "2025-02", wh)
    assert [s["period"] for s in summaries] == ["2025-01", "2025-02"]
    assert [[f["status"] for f in s["files"]] for s in summaries] == [["unchanged"], ["loaded"]]
    assert scalar(wh, current) == before, "a re-run keeps the month's current batch"
    assert scalar(wh, "select count(*) from marts.fct_garbage_sorting_monthly") == 20
    assert scalar(wh, "select count(distinct month_start) from marts.fct_garbage_sorting_monthly") == 2
    assert scalar(wh, "select count(*) from audit.ingest_batches where status = 'current'") == 2
    assert _pool_slots(wh, naming.DBT_POOL) == 1, "the dbt build's pool of one exists in the metadata DB"

    # March arrives, and a test at error severity fails (a rehearsal): the close DAG's run fails
    # naming the test, the alert fires, and BI still reads January and February.
    url, received = webhook
    monkeypatch.setenv("CITYOPS_ALERT_WEBHOOK", url)
    monkeypatch.setenv("CITYOPS_DBT_VARS", '{"cityops_fail_build": true}')
    before = query(wh, "select * from marts.fct_garbage_sorting_monthly order by 1, 2")
    land_month(wh, "2025-03", samples=False)
    with pytest.raises(AirflowRunFailed, match="assert_build_not_rehearsing_a_failure"):
        run_months("2025-03", None, wh)
    assert query(wh, "select * from marts.fct_garbage_sorting_monthly order by 1, 2") == before
    assert scalar(wh, "select count(*) from audit.ingest_batches where status = 'current'") == 3
    assert [(a["task_id"], "assert_build_not_rehearsing_a_failure" in a["text"]) for a in received] == [
        ("dbt_build", True)
    ]
    assert "The marts were not replaced" in received[0]["text"]


def test_the_ingest_dag_loads_a_landed_file_and_alerts_on_a_rejected_one(wh, webhook, monkeypatch):
    from cityops.errors import AirflowRunFailed
    from cityops.orchestrate.airflow_run import run_dag

    url, received = webhook
    monkeypatch.setenv("CITYOPS_ALERT_WEBHOOK", url)
    dag_id = naming.ingest_dag_id("garbage_sorting")
    folder = wh.landing / "garbage_sorting"
    folder.mkdir(parents=True)
    write(folder / "2025-04.xlsx", table(garbage_rows("2025-04")))
    write(folder / "2025-05.xlsx", table(garbage_rows("2025-04")))  # the wrong month inside: rejected
    with pytest.raises(AirflowRunFailed):
        run_dag(dag_id, {}, "2025-05-12", wh)
    assert scalar(wh, "select count(*) from raw.garbage_sorting where period = '2025-04-01'") == 10
    statuses = dict(query(wh, "select to_char(period, 'YYYY-MM'), status from audit.ingest_batches"))
    assert statuses == {"2025-04": "current", "2025-05": "rejected"}
    assert len(received) == 1 and received[0]["dag_id"] == dag_id and "REJECTED" in received[0]["text"]
    assert "Retrying cannot help" in received[0]["text"]
    events = _asset_events(wh, naming.raw_asset_uri("garbage_sorting"))
    assert events == 1, "the load (not the rejection) updated the raw table's Asset"


def _pool_slots(home, pool: str) -> int | None:
    import sqlite3

    with sqlite3.connect(home.airflow / "airflow.db") as db:
        row = db.execute("select slots from slot_pool where pool = ?", (pool,)).fetchone()
    return row[0] if row else None


def _asset_events(home, uri: str) -> int:
    import sqlite3

    with sqlite3.connect(home.airflow / "airflow.db") as db:
        row = db.execute(
            "select count(*) from asset_event e join asset a on a.id = e.asset_id where a.uri = ?", (uri,)
        ).fetchone()
    return row[0]
