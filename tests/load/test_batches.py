"""Batches: a correction supersedes, a re-upload changes nothing, a crash leaves no trace,
and two loads of the same month at once end with exactly one current batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from cityops.ingest import ingest
from tests.fixtures.commands import CITYOPS, ROOT, paused_ingest, wait_until_paused
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import garbage_rows, table, write


def test_a_corrected_file_supersedes_the_earlier_batch(wh, tmp_path):
    first = ingest(write(tmp_path / "2025-03.xlsx", table()), "garbage_sorting", "2025-03")
    corrected = write(tmp_path / "2025-03_corrected.xlsx", table(garbage_rows(scale=1.1)))
    second = ingest(corrected, "garbage_sorting", "2025-03")
    assert (first.status, second.status) == ("loaded", "loaded")
    statuses = dict(query(wh, "select batch_id::text, status from audit.ingest_batches"))
    assert statuses == {first.batch_id: "superseded", second.batch_id: "current"}
    assert (
        scalar(wh, "select superseded_by::text from audit.ingest_batches where batch_id = %s", first.batch_id)
        == second.batch_id
    )
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 20  # raw keeps both: append-only
    current = scalar(
        wh,
        "select sum(r.residual_t) from raw.garbage_sorting r join audit.ingest_batches b "
        "on b.batch_id = r._batch_id where b.status = 'current'",
    )
    assert float(current) == pytest.approx(sum(r[2] for r in garbage_rows(scale=1.1)))


def test_the_identical_file_again_is_unchanged(wh, tmp_path):
    path = write(tmp_path / "2025-03.xlsx", table())
    first = ingest(path, "garbage_sorting", "2025-03")
    again = ingest(path, "garbage_sorting", "2025-03")
    assert again.status == "unchanged" and again.exit_code == 0
    assert again.batch_id == first.batch_id
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 10
    assert sorted(r[0] for r in query(wh, "select status from audit.ingest_batches")) == ["current", "unchanged"]


def test_other_months_are_untouched_by_a_correction(wh, tmp_path):
    ingest(write(tmp_path / "2025-02.xlsx", table(garbage_rows(period="2025-02"))), "garbage_sorting", "2025-02")
    ingest(write(tmp_path / "2025-03.xlsx", table()), "garbage_sorting", "2025-03")
    ingest(write(tmp_path / "2025-03b.xlsx", table(garbage_rows(scale=0.98))), "garbage_sorting", "2025-03")
    current = dict(
        query(wh, "select period::text, count(*) from audit.ingest_batches where status = 'current' group by 1")
    )
    assert current == {"2025-02-01": 1, "2025-03-01": 1}


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["reading", "copy", "staged", "publish"])
def test_a_load_killed_at_any_stage_leaves_nothing_and_retries_cleanly(wh, tmp_path, stage):
    landing = wh.landing / "garbage_sorting"
    landing.mkdir(parents=True, exist_ok=True)
    path = write(landing / "2025-03.xlsx", table())
    marker = tmp_path / "paused"
    process = paused_ingest(path, wh.root, stage, marker)
    wait_until_paused(marker, process, stage)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 0
    assert scalar(wh, "select status from audit.ingest_batches") == "received"  # the trace of the attempt
    assert path.exists(), "the file must stay in landing for the retry"
    retry = ingest(path, "garbage_sorting", "2025-03")
    assert retry.status == "loaded"
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 10
    statuses = sorted(r[0] for r in query(wh, "select status from audit.ingest_batches"))
    assert statuses == ["current", "failed"]
    assert scalar(wh, "select count(*) from information_schema.tables where table_schema = 'stage'") == 0


@pytest.mark.slow
def test_two_loads_of_the_same_month_at_once_end_with_one_current_batch(wh, tmp_path):
    files = [write(tmp_path / "a.xlsx", table()), write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.05)))]
    env = {**os.environ, "CITYOPS_HOME": str(wh.root)}
    runs = [
        subprocess.Popen(
            [str(CITYOPS), "ingest", str(f), "--dataset", "garbage_sorting", "--period", "2025-03", "--json"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        for f in files
    ]
    results = [json.loads(r.communicate(timeout=120)[0]) for r in runs]
    assert sorted(r["status"] for r in results) == ["loaded", "loaded"]
    assert scalar(wh, "select count(*) from audit.ingest_batches where status = 'current'") == 1
    assert scalar(wh, "select count(*) from audit.ingest_batches where status = 'superseded'") == 1
    current = scalar(wh, "select batch_id::text from audit.ingest_batches where status = 'current'")
    assert scalar(wh, "select count(*) from raw.garbage_sorting where _batch_id = %s", current) == 10


def test_a_load_into_another_homes_warehouse_is_checked_there(wh, tmp_path):
    """`ingest(home=...)` stages, checks and publishes in that home's warehouse: the gate
    (GX, in its worker) read the environment's warehouse, where the batch is not."""
    from cityops.load import warehouse
    from cityops.settings import Home

    other = Home(tmp_path / "other").ensure()
    warehouse.start(other)
    try:
        outcome = ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03", home=other)
        assert outcome.status == "loaded", outcome.to_json()
        assert scalar(other, "select count(*) from audit.validation_results where not success") == 0
        assert scalar(other, "select count(*) from audit.validation_results") > 0
        assert scalar(wh, "select to_regclass('audit.ingest_batches') is null"), "nothing in the environment's"
    finally:
        warehouse.stop(other)
