"""Great Expectations in a second process, imported while the file is read.

Importing GX costs seconds of CPU and about 270 MiB. An ingest starts this worker before
it reads the file, so the import runs on the other core while the file is read,
normalised and COPYed; once the batch is staged, the worker runs the contract's suite on
it (gate.gx_outcomes: GX stays the gate, on its own connection) and sends each check's
outcome back; the gate turns them into problems exactly as when GX runs in-process.

One worker serves its parent process for as long as it lives (a month close checks
eleven files with one GX import) and stops with it. A process that has GX already (the
tests, a portal that imported it) runs GX in-process, and so does an ingest whose worker
could not start or failed: the worker only ever saves time, never a check.

The protocol: length-prefixed pickles, requests on the worker's stdin, answers on its own
copy of stdout (anything a library prints goes to stderr).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import gc
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import traceback
from typing import IO, TYPE_CHECKING, Any

from cityops.forking import forked

if TYPE_CHECKING:  # imported where used: the command line forks this worker before importing anything
    from psycopg import sql

    from cityops.contracts import Contract

log = logging.getLogger("cityops.gate")
_HEAD = struct.Struct("!Q")
_lock = threading.Lock()
_worker: GateWorker | None = None
_failed = False


def gate_worker(*, fork: bool = False) -> GateWorker | None:
    """This process's worker, started on first use; None where GX runs in-process.

    `fork`: only the command line's entry point asks for it, before it has opened anything
    (validate/ingest: cli/entry.py). Anywhere else (a pool worker of the portal, an Airflow
    task) the worker is a new interpreter: a forked one would inherit the host's pipes and
    keep them open, and the host's own parent would wait on them for ever."""
    global _worker
    with _lock:
        if _worker is not None and _worker.parent != os.getpid():
            _worker = None  # a forked child: the pipes are its parent's
        if _worker is None and not _failed and _wanted():
            _worker = GateWorker(fork=fork and hasattr(os, "fork") and threading.active_count() == 1)
            atexit.register(_worker.close)
        return _worker


def _wanted() -> bool:
    return "great_expectations" not in sys.modules and os.environ.get("CITYOPS_GATE_WORKER", "1") != "0"


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value)
    stream.write(_HEAD.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_HEAD.size)
    if len(head) < _HEAD.size:
        raise EOFError("the other side closed the pipe")
    size = _HEAD.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe")
    return pickle.loads(data)


class GateWorker:
    """The parent's side of the worker: its process id and the two pipes."""

    def __init__(self, *, fork: bool = False) -> None:
        self.parent = os.getpid()
        self.lock = threading.Lock()
        self.pid: int | None = None
        # Forked, the worker starts importing GX at once, with everything this process has
        # imported already in it; spawned, it is a new interpreter.
        if fork:
            self._fork()
        else:
            self._spawn()

    def _spawn(self) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cityops.validate.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        assert proc.stdin is not None and proc.stdout is not None
        self.pid, self.requests, self.answers = proc.pid, proc.stdin, proc.stdout

    def _fork(self) -> None:
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()

        def worker() -> None:
            os.close(request_write)
            os.close(answer_read)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)  # whatever a library prints must not reach this command's output
            os.dup2(devnull, 2)
            _serve(os.fdopen(request_read, "rb"), os.fdopen(answer_write, "wb"))

        pid = forked(worker)
        os.close(request_read)
        os.close(answer_write)
        self.pid, self.requests, self.answers = pid, os.fdopen(request_write, "wb"), os.fdopen(answer_read, "rb")

    def outcomes(
        self, contract: Contract, table: sql.Identifier, month: dt.date, warehouse: str
    ) -> dict[str, Any] | None:
        """GX's outcomes of the suite on the staged table, or None: then the caller runs GX itself.

        The contract and the warehouse's URL go with the request: the worker checks what this
        process would check, in the warehouse the batch was staged in."""
        global _failed
        schema, name = table._obj  # type: ignore[attr-defined]
        with self.lock:
            if self.pid is None:
                return None
            try:
                _send(self.requests, (contract, warehouse, schema, name, month))
                status, answer = _receive(self.answers)
            except Exception as exc:
                status, answer = "error", f"{type(exc).__name__}: {exc}"
            if status == "ok":
                return answer
            log.warning("the GX worker failed; the gate runs in this process:\n%s", answer)
            _failed = True
            self._stop()
            return None

    def _stop(self) -> None:
        if self.pid is None:
            return
        for stream in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.pid = None

    def close(self) -> None:
        if self.parent == os.getpid():
            with self.lock:
                self._stop()


def _serve(requests: IO[bytes], out: IO[bytes]) -> None:
    # GX's import makes objects by the hundred thousand: with the collector paused it costs
    # a sixth less CPU; what it made lives as long as the worker, so it is frozen out of
    # later collections.
    gc.disable()
    from psycopg import sql

    from cityops.contracts import get_contract
    from cityops.validate.gate import gx_outcomes
    from cityops.validate.suite import build_checks

    build_checks(get_contract("garbage_sorting"), dt.date(2025, 1, 1))  # GX imported before the first request
    import great_expectations  # noqa: F401

    gc.freeze()
    gc.enable()

    while True:
        try:
            contract, warehouse, schema, name, month = _receive(requests)
        except EOFError:
            return  # the parent is gone
        try:
            answer: tuple[str, Any] = ("ok", gx_outcomes(contract, sql.Identifier(schema, name), month, warehouse))
        except Exception:
            answer = ("error", traceback.format_exc())
        _send(out, answer)


def _serve_spawned() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints must not mix with the answers
    _serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    _serve_spawned()
