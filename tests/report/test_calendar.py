"""The submission calendar (`cityops status`, the month close, the portal): for a month, what
each department sent, when, and what became of it; and one department over twelve months."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from cityops.contracts import all_contracts
from cityops.ingest import ingest
from cityops.load.schema import ensure_audit
from cityops.load.warehouse import connect
from cityops.periods import SHANGHAI, due_at, due_on, months_between
from cityops.report.calendar import department_calendar, month_calendar, month_overview
from tests.fixtures.commands import cityops
from tests.fixtures.db import query
from tests.fixtures.garbage import garbage_rows, table, write

MARCH = dt.date(2025, 3, 1)


def _received_on(home, outcome, day: str, hour: int = 9) -> None:
    at = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), SHANGHAI)
    query(
        home, "update audit.ingest_batches set received_at = %s where batch_id = %s returning 1", at, outcome.batch_id
    )


def _status(home, period: dt.date, as_of: str) -> dict[str, object]:
    now = dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(12), SHANGHAI)
    with connect(home) as conn:
        return {row.dataset: row for row in month_calendar(conn, period, now)}


def test_the_due_date_is_the_tenth_of_the_next_month_in_shanghai():
    assert due_at(dt.date(2025, 3, 1)) == dt.datetime(2025, 4, 11, tzinfo=SHANGHAI)
    assert due_at(dt.date(2025, 12, 1)) == dt.datetime(2026, 1, 11, tzinfo=SHANGHAI)
    # 23:30 on the 10th in Shanghai is 15:30 UTC: still on time
    assert dt.datetime(2025, 4, 10, 15, 30, tzinfo=dt.UTC) < due_at(dt.date(2025, 3, 1))


def test_received_late_rejected_and_missing(wh, tmp_path):
    bad = garbage_rows()
    bad[4][3] = -3
    rejected = ingest(write(tmp_path / "bad.xlsx", table(bad)), "garbage_sorting", "2025-03")
    _received_on(wh, rejected, "2025-04-08")
    loaded = ingest(write(tmp_path / "good.xlsx", table()), "garbage_sorting", "2025-03")
    _received_on(wh, loaded, "2025-04-12")
    april = ingest(write(tmp_path / "apr.xlsx", table(bad)), "garbage_sorting", "2025-04")
    _received_on(wh, april, "2025-05-06")

    march = _status(wh, dt.date(2025, 3, 1), "2025-04-20")["garbage_sorting"]
    assert (march.state, march.received, march.late, march.missing, march.rejected) == (
        "late",
        True,
        True,
        False,
        False,
    )
    assert march.files == 2 and march.latest_status == "current" and march.current_rows == 10
    assert march.department == "区绿化市容局" and march.due_on == "2025-04-10"

    on_time = _status(wh, dt.date(2025, 4, 1), "2025-05-07")["garbage_sorting"]
    assert (on_time.state, on_time.rejected, on_time.late) == ("rejected", True, False)
    assert on_time.latest_status == "rejected" and on_time.latest_errors >= 1

    monthly = [
        c.dataset for c in all_contracts().values() if c.submission == "monthly" and c.dataset != "garbage_sorting"
    ]
    after = _status(wh, dt.date(2025, 3, 1), "2025-04-20")
    before = _status(wh, dt.date(2025, 3, 1), "2025-04-02")
    for dataset in monthly:
        assert after[dataset].state == "missing" and after[dataset].missing and not after[dataset].received
        assert before[dataset].state == "due" and not before[dataset].late


@pytest.mark.parametrize("dataset", [c.dataset for c in all_contracts().values() if c.submission == "snapshot"])
def test_a_snapshot_dataset_is_never_missing(wh, dataset):
    row = _status(wh, dt.date(2025, 3, 1), "2025-06-30")[dataset]
    assert row.state == "snapshot" and not row.missing and not row.late and row.due_on is None


def test_the_status_command(wh, tmp_path):
    ingest(write(tmp_path / "good.xlsx", table()), "garbage_sorting", "2025-03")
    done = cityops("status", "--period", "2025-03", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["dataset"]: r for r in json.loads(done.stdout)}
    assert set(rows) == set(all_contracts())
    assert rows["garbage_sorting"]["received"] and rows["garbage_sorting"]["latest_status"] == "current"
    text = cityops("status", "--period", "2025-03", "--as-of", "2025-04-01")
    assert text.returncode == 0 and "区绿化市容局" in text.stdout and "garbage_sorting" in text.stdout
    assert cityops("status", "--period", "2025-13").returncode == 2
    assert cityops("status", "--period", "2025-03", "--as-of", "April").returncode == 2
    help_text = cityops("status", "--help").stdout
    for option in ("--period", "--as-of", "--json"):
        line = next(line for line in help_text.splitlines() if line.strip().startswith(option))
        assert len(line.split(maxsplit=2)) == 3, f"{option} has no help"


def test_the_submission_calendar_names_late_and_missing_extracts_per_department(wh):
    assert due_on(dt.date(2025, 12, 1)) == dt.date(2026, 1, 10)
    with connect(wh) as conn:
        ensure_audit(conn)
        for dataset, received, status in [
            ("garbage_sorting", "2025-04-09 23:00+08", "current"),
            ("water_quality", "2025-04-12 09:00+08", "current"),
            ("grid_cases", "2025-04-08 09:00+08", "rejected"),
        ]:
            conn.execute(
                "insert into audit.ingest_batches (batch_id, dataset, period, status, file_sha256, source_file, "
                "received_at) values (gen_random_uuid(), %s, '2025-03-01', %s, 'x', 'f', %s)",
                (dataset, status, received),
            )
        rows = {r.dataset: r for r in month_calendar(conn, MARCH, dt.datetime(2025, 4, 20, tzinfo=SHANGHAI))}
        early = month_calendar(conn, MARCH, dt.datetime(2025, 4, 5, tzinfo=SHANGHAI))
    assert set(rows) == set(all_contracts())
    assert rows["garbage_sorting"].state == "loaded"
    assert rows["water_quality"].state == "late"
    assert rows["grid_cases"].state == "rejected" and rows["grid_cases"].late
    assert "rejected" in rows["grid_cases"].action and "overdue" in rows["grid_cases"].action
    for dataset, row in rows.items():
        assert row.department == all_contracts()[dataset].department
        if row.submission == "monthly":
            assert row.due_on == "2025-04-10"
    assert {r.state for r in early if r.dataset == "hotline_cases"} <= {"due", "snapshot"}


def test_the_operations_centre_sees_a_month_with_its_reporting_and_on_time_rates(wh, tmp_path):
    on_time = ingest(write(tmp_path / "good.xlsx", table()), "garbage_sorting", "2025-03")
    _received_on(wh, on_time, "2025-04-09")
    bad = garbage_rows()
    bad[4][3] = -3
    ingest(write(tmp_path / "bad.xlsx", table(bad)), "garbage_sorting", "2025-02")
    with connect(wh) as conn:
        march = month_overview(conn, MARCH, dt.datetime(2025, 4, 20, tzinfo=SHANGHAI))
        running = month_overview(conn, dt.date(2025, 4, 1), dt.datetime(2025, 4, 20, tzinfo=SHANGHAI))
    monthly = [c for c in all_contracts().values() if c.submission == "monthly"]
    assert (march.expected, march.reported, march.on_time) == (len(monthly), 1, 1)
    assert march.reporting_rate == march.on_time_rate == round(100 / len(monthly), 1)
    assert {r.state for r in march.rows if r.dataset != "garbage_sorting"} <= {"missing", "snapshot"}
    assert running.expected == 0 and running.reporting_rate is None, "April is still running: nothing is owed"
    assert {r.state for r in running.rows} <= {"not_yet_due", "snapshot"}
    assert march.to_json()["reporting_rate_pct"] == march.reporting_rate


def test_a_department_sees_its_datasets_over_twelve_months(wh, tmp_path):
    loaded = ingest(write(tmp_path / "good.xlsx", table()), "garbage_sorting", "2025-03")
    _received_on(wh, loaded, "2025-04-12")  # two days late
    bad = garbage_rows(period="2025-02")
    bad[4][3] = -3
    rejected = ingest(write(tmp_path / "bad.xlsx", table(bad)), "garbage_sorting", "2025-02")
    assert rejected.status == "rejected"
    department = all_contracts()["garbage_sorting"].department
    with connect(wh) as conn:
        rows = department_calendar(conn, department, now=dt.datetime(2025, 4, 20, tzinfo=SHANGHAI))
    mine = sorted({c.dataset for c in all_contracts().values() if c.department == department})
    assert {r.dataset for r in rows} == set(mine)
    months = [r.period for r in rows if r.dataset == "garbage_sorting"]
    assert months == [f"{m:%Y-%m}" for m in reversed(months_between(dt.date(2024, 5, 1), dt.date(2025, 4, 1)))]
    garbage = {r.period: r for r in rows if r.dataset == "garbage_sorting"}
    assert garbage["2025-04"].state == "not_yet_due" and garbage["2025-04"].due_on == "2025-05-10"
    assert garbage["2025-03"].state == "late" and garbage["2025-03"].current_batch_id == loaded.batch_id
    assert garbage["2025-02"].state == "rejected" and garbage["2025-02"].latest_report_folder == rejected.report_folder
    assert garbage["2024-12"].state == "missing" and garbage["2024-12"].due_on == "2025-01-10"
    assert all(r.department == department for r in rows)


def test_a_file_that_waited_in_landing_counts_from_when_it_landed(wh, tmp_path):
    landed = wh.landing / "garbage_sorting" / "2025-03.xlsx"
    landed.parent.mkdir(parents=True)
    write(landed, table())
    sent = dt.datetime(2025, 4, 9, 18, tzinfo=SHANGHAI).timestamp()
    os.utime(landed, (sent, sent))
    assert ingest(landed, "garbage_sorting", "2025-03").status == "loaded"  # picked up today, months later
    with connect(wh) as conn:
        [row] = [r for r in month_calendar(conn, MARCH) if r.dataset == "garbage_sorting"]
    assert row.state == "loaded" and not row.late
    assert row.first_received_at == "2025-04-09T18:00:00+08:00"


def test_loaded_with_warnings_is_its_own_state(wh, tmp_path):
    ingest(write(tmp_path / "feb.xlsx", table(garbage_rows(period="2025-02"))), "garbage_sorting", "2025-02")
    jumped = garbage_rows()
    jumped[0][7] += 50  # residential areas +6.8% on February: a warning, not a rejection
    jumped[0][8] += 50
    outcome = ingest(write(tmp_path / "mar.xlsx", table(jumped)), "garbage_sorting", "2025-03")
    assert outcome.status == "loaded" and outcome.problems.warnings
    _received_on(wh, outcome, "2025-04-05")
    with connect(wh) as conn:
        [row] = [r for r in month_calendar(conn, MARCH) if r.dataset == "garbage_sorting"]
    assert row.state == "loaded_with_warnings" and row.latest_warnings == 1
    assert row.latest_report_folder == outcome.report_folder
