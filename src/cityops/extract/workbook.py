"""Workbooks read by calamine in a child process, so that a file which breaks the parser cannot break cityops.

calamine is fast, but it is Rust: on a corrupt .xls it panics (Python sees `PanicException`,
a BaseException that passes every `except Exception`), and a sheet whose cells lie far
apart (A1 and XFD1048576) makes it allocate the whole rectangle, so the process aborts or
is killed for its memory. Neither may end a load with a traceback, a dead worker or an
unrecorded batch. So the workbook is opened in a forked child with a memory and CPU limit
and its stderr silenced; the child sends back each visible sheet's rows over a pipe, in
blocks of columns as Arrow arrays (cellblock.py; it blocks while the reader is busy, so
memory stays flat, and reads on while the reader normalises), and any failure as a
refusal: `password_protected` for calamine's PasswordError, `unreadable` for the rest,
including a child that died. The panic's text goes to the log, never to the console.
"""

from __future__ import annotations

import contextlib
import faulthandler
import fcntl
import gc
import importlib.abc
import logging
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from cityops.extract.cellblock import Block
from cityops.extract.sniff import FileRefused
from cityops.forking import forked

log = logging.getLogger("cityops.extract")
Row = tuple[int, list[Any]]
PIPE_BYTES = 1 << 20  # Linux's default most for a pipe: about 4,000 rows of a hotline month
BLOCK_ROWS = 4096  # rows per message, about a pipe full: fewer means more Arrow calls, more less overlap


def reader_limit_bytes() -> int:
    """CITYOPS_READER_MAX_MB (default 2048): the memory calamine may take beyond the process's own."""
    return int(os.environ.get("CITYOPS_READER_MAX_MB", "2048")) << 20


def _cpu_seconds() -> int:
    return int(os.environ.get("CITYOPS_READER_MAX_CPU_S", "600"))


def _limit_child() -> None:
    """In the child: no core files, bounded address space and CPU time, a silent stderr."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        with open("/proc/self/status", encoding="ascii") as fh:
            vm = next((int(line.split()[1]) << 10 for line in fh if line.startswith("VmSize:")), 0)
        if vm:
            limit = vm + reader_limit_bytes()
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = _cpu_seconds()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the reader still runs apart, only without the limits
    faulthandler.disable()  # its dump would go to a copy of stderr
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # Rust's panic message, an allocation failure's message
    os.dup2(devnull, 1)


class _NoPandas(importlib.abc.MetaPathFinder):
    """pyarrow imports pandas on its first conversion, only to look for pandas arrays (0.3 s);
    the child converts lists, so an import of pandas fails there, and pyarrow does without."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname.partition(".")[0] == "pandas":
            raise ImportError("not in the workbook reader's child")


def _child(path: Path, out) -> None:
    """Runs in the forked child: every visible sheet, then 'done'; or one refusal."""
    import python_calamine

    def send(*message: Any) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        workbook = python_calamine.load_workbook(str(path))
        visible = [m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")]
        if not visible:
            send("refused", "no_visible_sheet", {}, "")
            return
        for name in visible:
            sheet = workbook.get_sheet_by_name(name)
            send("sheet", name)
            first, rows = 1, []
            for cells in sheet.iter_rows():
                rows.append(cells)
                if len(rows) == BLOCK_ROWS:
                    send("block", Block.of(first, rows))
                    first, rows = first + len(rows), []
            if rows:
                send("block", Block.of(first, rows))
            del sheet
        send("done")
    except python_calamine.PasswordError as exc:
        send("refused", "password_protected", {}, f"{type(exc).__name__}: {exc}"[:2000])
    except BaseException as exc:  # PanicException is a BaseException; the child only reports it
        send("refused", "unreadable", {"found": path.suffix.lower().lstrip(".") or "xlsx"}, repr(exc)[:2000])


class _Reader:
    """The child process and the pipe its messages come through."""

    def __init__(self, path: Path) -> None:
        import python_calamine  # noqa: F401 - imported here, so that the child imports nothing after the fork

        self.path = path
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError, AttributeError):  # Linux: the child writes ahead while the reader works
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)

        def child() -> None:
            os.close(read_end)
            gc.disable()  # short-lived, and bounded by its limits
            sys.meta_path.insert(0, _NoPandas())
            _limit_child()
            with os.fdopen(write_end, "wb", buffering=1 << 16) as out:
                _child(path, out)

        self.pid = forked(child)
        os.close(write_end)
        self.stream = os.fdopen(read_end, "rb", buffering=1 << 16)
        self.finished = False
        pa.array([], pa.string())  # pyarrow's first conversion imports pandas: here, while the child reads

    def next(self) -> tuple:
        if self.finished:
            raise FileRefused("unreadable", found=self.path.suffix.lower().lstrip(".") or "xlsx")
        collecting = gc.isenabled()
        gc.disable()  # a block is thousands of new lists: no collection while they are built
        try:
            return pickle.load(self.stream)
        except (EOFError, pickle.UnpicklingError, OSError):
            status = self._reap()
            log.info("%s: the workbook reader ended abnormally (%s)", self.path.name, _describe(status))
            raise FileRefused("unreadable", found=self.path.suffix.lower().lstrip(".") or "xlsx") from None
        finally:
            if collecting:
                gc.enable()

    def _reap(self) -> int | None:
        if self.finished:
            return None
        self.finished = True
        self.stream.close()
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return None

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        if self.finished:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._reap()


def _describe(status: int | None) -> str:
    if status is None:
        return "unknown status"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


class SheetRows(Iterator[Row]):
    """One sheet's rows; `blocks()` gives the rest of them as the child sent them, by column."""

    def __init__(self, blocks: Iterator[Block]) -> None:
        self._blocks = blocks
        self._block: Block | None = None
        self._rows: Iterator[Row] = iter(())
        self._taken = 0  # rows of `_block` handed out

    def __next__(self) -> Row:
        while True:
            row = next(self._rows, None)
            if row is not None:
                self._taken += 1
                return row
            self._block = next(self._blocks)  # StopIteration: the sheet's end
            self._rows, self._taken = self._block.rows(), 0

    def blocks(self) -> Iterator[Block]:
        """The rows not handed out yet (the rest of the current block first), a block at a time."""
        if self._block is not None and self._taken < self._block.count:
            yield self._block.rest(self._taken)
        self._block, self._rows = None, iter(())
        yield from self._blocks


def workbook_sheets(path: Path, check: Callable[[], None] | None = None) -> Iterator[SheetRows]:
    """Each visible sheet's rows, read apart; FileRefused when the workbook cannot be read.

    `check` runs while the child opens the workbook; its refusal comes first."""
    reader = _Reader(path)
    state = {"outer_done": False, "inner_open": False}

    def finish() -> None:
        if state["outer_done"] and not state["inner_open"]:
            reader.close()

    try:
        if check is not None:
            check()
        message = reader.next()
        while message[0] == "sheet":
            following: list[tuple] = []

            def blocks(following: list[tuple] = following) -> Iterator[Block]:
                state["inner_open"] = True
                try:
                    while True:
                        found = reader.next()
                        if found[0] != "block":
                            following.append(found)
                            return
                        yield found[1]
                finally:
                    state["inner_open"] = False
                    finish()

            sheet = blocks()
            state["inner_open"] = True  # until it is read to its end (or collected)
            yield SheetRows(sheet)
            for _ in sheet:  # the caller moved on to the next sheet: skip the rest of this one
                pass
            message = following[0] if following else reader.next()
        if message[0] == "refused":
            _, rule, details, cause = message
            if cause:
                log.info("%s: refused as %s (%s)", path.name, rule, cause)
            raise FileRefused(rule, **details)
    finally:
        state["outer_done"] = True
        finish()
