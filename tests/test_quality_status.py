"""`cityops status`: for a month, what each department sent, when, and what became of it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cityops.contracts import all_contracts
from cityops.load.warehouse import connect
from cityops.pipeline import ingest
from cityops.quality.status import SHANGHAI, due_at, month_status
from tests.conftest import cityops, query
from tests.extracts import garbage_rows, table, write


def _received_on(home, outcome, day: str, hour: int = 9) -> None:
    at = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), SHANGHAI)
    query(
        home, "update audit.ingest_batches set received_at = %s where batch_id = %s returning 1", at, outcome.batch_id
    )


def _status(home, period: dt.date, as_of: str) -> dict[str, object]:
    now = dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(12), SHANGHAI)
    with connect(home) as conn:
        return {row.dataset: row for row in month_status(conn, period, now)}


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
