"""Uploads run in worker processes, never in the web server's: the hotline's big month cannot
slow anyone's page. Each runs the one ingest path (cityops.ingest.ingest, as `cityops ingest`).

The pool's processes import the checking code once (GX costs seconds), so a typical
month's answer is back in about a second. A worker notes each step of the load
(the checkpoints cityops.load.checkpoints announces) in portal.uploads, where the
progress page reads it; at the end it writes the answer: the outcome, each problem's
sheet and Excel cell, and the full problem list as a spreadsheet.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import psycopg

from cityops import locks
from cityops.contracts import get_contract
from cityops.errors import SystemFailure, UsageError
from cityops.orchestrate.asset_events import AirflowApi, AirflowApiError
from cityops.problems import KEEP_PER_RULE, Problem
from cityops.report.cellsafe import put
from cityops.report.marked import cell_references, marked_name

log = logging.getLogger("cityops.portal")
PROBLEMS_FILE = "problems.xlsx"
RECORD_PATIENCE_S = 3600
_current: dict[str, Any] = {}  # in a worker: the upload it works on, and its connection


def _note_step(event: str, args: tuple) -> None:
    if event != "cityops.checkpoint" or "id" not in _current:
        return
    point = args[0]
    if point == "copy":
        _current["chunks"] = _current.get("chunks", 0) + 1
        if _current["chunks"] % 5:  # a large file announces many chunks: every fifth is enough
            return
    with contextlib.suppress(psycopg.Error):  # progress is a courtesy; the load goes on
        _current["conn"].execute(
            "update portal.uploads set step = %s where upload_id = %s",
            (f"{point}:{_current.get('chunks', 0)}", _current["id"]),
        )


def _warm(conninfo: str) -> None:
    """Each worker: load the checking code now, and listen to the load's checkpoints."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("great_expectations", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    import cityops.validate.gate
    import cityops.validate.history  # noqa: F401
    from cityops.validate.worker import gate_worker

    gate_worker()  # GX is imported now, in the gate's worker process (validate/worker.py), not at the first upload
    _current["conninfo"] = conninfo
    sys.addaudithook(_note_step)


def problems_workbook(rows: list[dict[str, Any]], counts: list[dict[str, Any]], target: Path) -> None:
    """Every listed problem and the count of each rule, as a spreadsheet (values never run as formulas)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    listed = book.create_sheet("问题 Problems")
    head = ["级别 Severity", "工作表 Sheet", "单元格 Cell", "行 Row", "列标题 Header", "值 Value", "规则 Rule", "说明",
            "Explanation"]  # fmt: skip
    listed.append(head)
    for r in rows:
        values = [r["severity"], r["sheet"], r["cell"], r["row"], r["column"], r["value"], r["rule"], r["message_zh"],
                  r["message_en"]]  # fmt: skip
        listed.append([put(_cell(listed), v) for v in values])
    summary = book.create_sheet("按规则 Per rule")
    summary.append(["级别 Severity", "规则 Rule", "列标题 Header", "数量 Count"])
    for c in counts:
        summary.append([put(_cell(summary), v) for v in (c["severity"], c["rule"], c["column"], c["count"])])
    book.save(target)


def _cell(sheet):
    from openpyxl.cell import WriteOnlyCell

    return WriteOnlyCell(sheet)


def _answer(outcome, kept_file: Path, folder: Path) -> dict[str, Any]:
    data = outcome.to_json()
    problems: list[Problem] = outcome.problems.errors + outcome.problems.warnings
    try:
        places = cell_references(kept_file, get_contract(outcome.dataset), problems)
    except Exception:  # the cells are a help; the answer must come anyway
        log.exception("cell references of %s", kept_file)
        places = [(None, None)] * len(problems)
    rows = [{**p.to_json(), "sheet": sheet, "cell": cell} for p, (sheet, cell) in zip(problems, places, strict=True)]
    data["problems"] = rows
    data["listed"] = len(rows)
    data["total_problems"] = sum(outcome.problems.counts.values())
    data["keep_per_rule"] = KEEP_PER_RULE
    if rows:
        problems_workbook(rows, data["counts"], folder / PROBLEMS_FILE)
        data["problems_file"] = str(folder / PROBLEMS_FILE)
    marked = Path(outcome.report_folder) / marked_name(Path(outcome.stored_file)) if outcome.report_folder else None
    if marked is not None and outcome.stored_file and marked.is_file():
        data["marked_copy"] = str(marked)
    return data


def _record(upload_id: str, *values: Any) -> None:
    """The upload's end, written even when the warehouse went away under the load: retried (with a
    new connection) until it is back, so the page can say "try again later" instead of waiting."""
    deadline = time.monotonic() + RECORD_PATIENCE_S
    while True:
        try:
            with psycopg.connect(_current["conninfo"], autocommit=True, connect_timeout=10) as conn:
                conn.execute(
                    "update portal.uploads set state = %s, step = null, status = %s, batch_id = %s, rows = %s, "
                    "answer = %s, error = %s, finished_at = now() where upload_id = %s",
                    (*values, upload_id),
                )
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def _ready() -> bool:
    return True


ELSEWHERE = "elsewhere"  # run_upload's answer when another live worker has the upload


def run_upload(upload_id: str, kept_file: str, dataset: str, period: str) -> str:
    """In a worker: ingest the kept file, write the answer into portal.uploads; the final state.

    The upload is claimed first (an advisory lock its session holds to the end): one that a
    live worker has, or that is decided already, is left alone (a portal resuming uploads
    while another still runs them)."""
    from cityops.ingest import ingest

    with psycopg.connect(_current["conninfo"], autocommit=True) as conn:
        if not locks.try_lock_upload(conn, upload_id):
            return ELSEWHERE
        row = conn.execute("select state from portal.uploads where upload_id = %s", (upload_id,)).fetchone()
        if row is None or row[0] not in ("queued", "running"):
            return row[0] if row else ELSEWHERE
        _current.update(id=upload_id, conn=conn, chunks=0)
        conn.execute("update portal.uploads set state = 'running', step = 'reading:0' where upload_id = %s",
                     (upload_id,))  # fmt: skip
        path = Path(kept_file)
        state, answer, error = "done", None, None
        try:
            outcome = ingest(path, dataset, period)
            with contextlib.suppress(psycopg.Error):
                conn.execute("update portal.uploads set step = 'reports:0' where upload_id = %s", (upload_id,))
            answer = _answer(outcome, path, path.parent)
        except (UsageError, SystemFailure) as exc:
            state, error = "failed", str(exc)
        except Exception as exc:
            log.exception("upload %s failed", upload_id)
            state, error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            _current.pop("id", None)
        _record(  # still holding the claim
            upload_id,
            state,
            answer["status"] if answer else "failed",
            answer["batch_id"] if answer else None,
            answer["rows"] if answer else None,
            json.dumps(answer, ensure_ascii=False, default=str) if answer else None,
            error,
        )
    return answer["status"] if answer and answer["status"] == "loaded" else state


class MartsRefresh:
    """After a load, the marts catch up by themselves.

    When Airflow's API is configured (CITYOPS_AIRFLOW_API_URL: the production stack), an Asset
    event for raw.<dataset> (cityops.orchestrate.asset_events): the transform DAG builds, in its
    one-slot dbt pool. Otherwise (the embedded default), `cityops build` in the background, one at
    a time; loads that land during a build ask for one more build after it, not one each. An
    event that cannot be sent (after a few tries) falls back to the local build: the marts must
    not wait for a person. CITYOPS_PORTAL_BUILD=off leaves the marts to the month close."""

    ATTEMPTS = 3
    BACKOFF_S = 2.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self.enabled = os.environ.get("CITYOPS_PORTAL_BUILD", "on") != "off"
        self.api = AirflowApi.from_env() if self.enabled else None

    def request(self, dataset: str, upload_id: str = "") -> None:
        if not self.enabled:
            return
        if self.api is not None:
            threading.Thread(target=self._announce, args=(dataset, upload_id), name="asset-event", daemon=True).start()
            return
        self._build()

    def _announce(self, dataset: str, upload_id: str) -> None:
        assert self.api is not None
        for attempt in range(1, self.ATTEMPTS + 1):
            try:
                event = self.api.announce_raw(dataset, via="portal", upload_id=upload_id)
                log.info("asset event %s for raw.%s (upload %s)", event.get("id"), dataset, upload_id)
                return
            except AirflowApiError as exc:
                log.warning("asset event for raw.%s, try %d of %d: %s", dataset, attempt, self.ATTEMPTS, exc)
                if attempt < self.ATTEMPTS:
                    time.sleep(self.BACKOFF_S * 2 ** (attempt - 1))
        log.error("no asset event for raw.%s: building the marts here instead", dataset)
        self._build()

    def _build(self) -> None:
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._loop, name="marts-refresh", daemon=True).start()

    def _loop(self) -> None:
        cityops = Path(sys.executable).with_name("cityops")
        while True:
            done = subprocess.run([str(cityops), "build"], capture_output=True, text=True)
            if done.returncode:
                log.error("marts refresh failed: %s", (done.stderr or done.stdout).strip()[-500:])
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False


class Runner:
    """The worker pool, and what to do when a worker dies (the upload says so; the pool is renewed)."""

    def __init__(self, conninfo: str, workers: int) -> None:
        self.conninfo = conninfo
        self.workers = workers
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        self.marts = MartsRefresh()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_warm, initargs=(self.conninfo,))

    def warm_up(self) -> None:
        """Start every worker now (each imports the checking code), not at the first upload."""
        for _ in range(self.workers):
            self._pool.submit(_ready)

    def resume(self) -> int:
        """The uploads a stopped portal left queued or under way, run now in the order they came:
        their files are kept, and a load is all or nothing, so one cut off starts again."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            left = conn.execute(
                "select upload_id::text, kept_file, dataset, to_char(period, 'YYYY-MM') from portal.uploads "
                "where state in ('queued', 'running') order by created_at"
            ).fetchall()
        for upload_id, kept_file, dataset, period in left:
            self.submit(upload_id, Path(kept_file), dataset, period)
        if left:
            log.info("resumed %d upload(s) a stopped portal left queued or under way", len(left))
        return len(left)

    def submit(self, upload_id: str, kept_file: Path, dataset: str, period: str) -> None:
        done = functools.partial(self._finished, upload_id, dataset)
        with self._lock:
            try:
                future = self._pool.submit(run_upload, upload_id, str(kept_file), dataset, period)
            except RuntimeError:  # a broken pool (a worker was killed): start a new one
                self._pool = self._new_pool()
                future = self._pool.submit(run_upload, upload_id, str(kept_file), dataset, period)
        future.add_done_callback(done)

    def _finished(self, upload_id: str, dataset: str, future: Future) -> None:
        if future.cancelled():  # the portal is stopping: it stays queued, for the next start
            return
        error = future.exception()
        if error is None:
            if future.result() == "loaded":
                self.marts.request(dataset, upload_id)
            return
        log.error("upload %s: the worker failed: %s", upload_id, error)
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(
                "update portal.uploads set state = 'failed', status = 'failed', error = %s, finished_at = now() "
                "where upload_id = %s and state <> 'done'",
                (f"{type(error).__name__}: {error}", upload_id),
            )

    def shutdown(self) -> None:
        """Uploads under way finish; those not started stay queued for the next start (`resume`).
        Waiting is also what lets the workers exit: without it they, and their GX workers,
        outlived the portal."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    return int(os.environ.get("CITYOPS_PORTAL_WORKERS", "2"))
