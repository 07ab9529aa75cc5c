"""The GX worker (validate/worker.py) gives the gate's verdict, and losing it loses no check.

The command line runs GX in a forked worker that imports GX while the file is read. What
a clerk sees must not depend on it: the same problems, in the same words, with the worker,
without it, and when the worker dies before the gate.
"""

from __future__ import annotations

import json

import psutil
import pytest

from tests.fixtures.commands import cityops as run_cityops
from tests.fixtures.commands import paused_command, wait_until_paused
from tests.fixtures.garbage import garbage_rows, table, write

VALIDATE = ["--dataset", "garbage_sorting", "--period", "2025-03", "--json"]


def _bad_file(tmp_path):
    rows = garbage_rows()
    rows[2][3] = -3  # a negative tonnage: GX's range rule
    rows[4][1] = rows[5][1]  # one street twice: the uniqueness rule
    return write(tmp_path / "2025-03.csv", table(rows))


def _verdict(stdout: str) -> dict:
    data = json.loads(stdout)  # the whole of stdout is one JSON object: the worker printed nothing there
    return {key: data[key] for key in ("status", "rows", "errors", "warnings")}


def test_the_worker_and_gx_in_process_give_the_same_verdict(wh, tmp_path):
    path = _bad_file(tmp_path)
    with_worker = run_cityops("validate", str(path), *VALIDATE)
    in_process = run_cityops("validate", str(path), *VALIDATE, env={"CITYOPS_GATE_WORKER": "0"})
    assert with_worker.returncode == in_process.returncode == 1, with_worker.stderr + in_process.stderr
    verdict = _verdict(with_worker.stdout)
    assert verdict == _verdict(in_process.stdout)
    assert {p["rule"] for p in verdict["errors"]} >= {"min_value", "duplicate_key"}, verdict["errors"]


@pytest.mark.slow
def test_a_worker_killed_before_the_gate_costs_time_not_a_check(wh, tmp_path):
    path = _bad_file(tmp_path)
    expected = _verdict(run_cityops("validate", str(path), *VALIDATE, env={"CITYOPS_GATE_WORKER": "0"}).stdout)
    marker = tmp_path / "paused"
    process = paused_command(["validate", str(path), *VALIDATE], wh.root, "staged", marker)
    wait_until_paused(marker, process, "staged")  # the rows are staged; GX has not run
    workers = psutil.Process(process.pid).children()
    assert workers, "the command line runs GX in a worker process"
    for worker in workers:
        worker.kill()
    psutil.wait_procs(workers, timeout=30)
    marker.unlink()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1, out + err
    assert _verdict(out) == expected
    assert "Traceback" not in err
    assert "the GX worker failed" in (wh.logs / "cityops.log").read_text(encoding="utf-8")
