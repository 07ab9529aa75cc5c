"""The harness: child processes with wall time and peak RSS, repetitions, results, progress."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_START = time.perf_counter()


def say(message: str) -> None:
    """One line of progress on stderr, with the time since the bench started."""
    elapsed = time.perf_counter() - _START
    print(f"[bench {int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}] {message}", file=sys.stderr, flush=True)


class Unavailable(Exception):
    """A measure's prerequisite is missing: it reports `n/a: <why>` instead of a number."""


class ChildFailed(RuntimeError):
    pass


@dataclass
class Run:
    seconds: float
    rss_mib: float
    returncode: int
    stdout: Path
    stderr: Path

    def text(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def json(self) -> Any:
        """The JSON object a child printed last (libraries may print before it)."""
        import json

        lines = [line for line in self.text().splitlines() if line.startswith(("{", "["))]
        if not lines:
            raise ChildFailed(f"no JSON on the child's stdout ({self.stdout}):\n{self.tail()}")
        return json.loads(lines[-1])

    def tail(self, lines: int = 15) -> str:
        err = self.stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return "\n".join(err[-lines:])


@dataclass
class Config:
    root: Path  # CITYOPS_HOME/bench
    repeat: int = 3
    smoke: bool = False
    rows: int = 1_000_000
    small_rows: int = 100_000
    xlsx_rows: int = 100_000
    bi_months: int = 60

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def fresh_home(self, name: str) -> Path:
        home = self.work / name
        stop_warehouse(home)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        return home


PYTHON = sys.executable
CITYOPS = str(Path(sys.executable).with_name("cityops"))


def child_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CITYOPS_WAREHOUSE_URL", None)  # always the embedded warehouse of this home
    env["CITYOPS_HOME"] = str(home)
    env["XDG_RUNTIME_DIR"] = str(home / "run")
    (home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    env.update(extra)
    return env


_runs = 0


def run_child(argv: list[str], env: dict[str, str], *, check: bool = True, ok_codes=(0,)) -> Run:
    """Run one cold process; its wall time and peak RSS (ru_maxrss of that child alone)."""
    global _runs
    _runs += 1
    logs = Path(env["CITYOPS_HOME"]) / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / f"{_runs:03d}.out", logs / f"{_runs:03d}.err"
    with out.open("wb") as fo, err.open("wb") as fe:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=fo, stderr=fe, env=env, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out, err)
    if check and run.returncode not in ok_codes:
        raise ChildFailed(f"`{' '.join(argv[:4])} …` exited {run.returncode}:\n{run.tail()}")
    return run


def cityops(home: Path, *args: str, check: bool = True, ok_codes=(0,)) -> Run:
    return run_child([CITYOPS, *args], child_env(home), check=check, ok_codes=ok_codes)


def bench_child(home: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """`python -m cityops_dev.bench.children ...`: small measured programs (floor COPY, readers)."""
    return run_child([PYTHON, "-m", "cityops_dev.bench.children", *args], env or child_env(home))


def stop_warehouse(home: Path) -> None:
    if (home / "warehouse" / "postmaster.pid").exists():
        subprocess.run([CITYOPS, "warehouse", "stop"], env=child_env(home), capture_output=True, check=False)


@dataclass
class Sample:
    """The repetitions of one measure: seconds and peak RSS (MiB) of each."""

    seconds: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    note: str = ""

    def add(self, seconds: float, rss: float | None = None) -> None:
        self.seconds.append(seconds)
        if rss is not None:
            self.rss.append(rss)

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rss_median(self) -> float | None:
        return statistics.median(self.rss) if self.rss else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "runs": len(self.seconds),
            "min_s": round(self.min, 3),
            "median_s": round(self.median, 3),
            "seconds": [round(s, 3) for s in self.seconds],
        }
        if self.rss:
            data["peak_rss_mib"] = [round(r, 1) for r in self.rss]
            data["peak_rss_median_mib"] = round(self.rss_median, 1)
        if self.note:
            data["note"] = self.note
        return data


def repeat(
    label: str, times: int, once: Callable[[int], Run | tuple[float, float | None]], budget_s: float | None = None
) -> Sample:
    """Run `once(i)` up to `times` times; stop early when the next run would overrun the budget."""
    sample = Sample()
    spent = 0.0
    for i in range(times):
        result = once(i)
        seconds, rss = (result.seconds, result.rss_mib) if isinstance(result, Run) else result
        sample.add(seconds, rss)
        spent += seconds
        rss_text = f", peak RSS {rss:.0f} MiB" if rss is not None else ""
        say(f"  {label} #{i + 1}: {seconds:.2f} s{rss_text}")
        if budget_s is not None and i + 1 < times and spent + seconds > budget_s:
            sample.note = f"{i + 1} of {times} runs: the time budget of {budget_s:.0f} s for this measure"
            break
    return sample


@dataclass
class Row:
    """One line of the table (and of results.json's `table`)."""

    measure: str
    sample: Sample | None = None
    ratio: float | None = None  # median / floor median of this run
    value: str = ""  # what is compared to the target, when it is not a time
    target: str = ""
    met: bool | None = None
    na: str | None = None

    def cells(self) -> list[str]:
        if self.na:
            return [self.measure, "n/a", "", "", "", self.target, self.na]
        s = self.sample
        rss = s.rss_median if s else None
        return [
            self.measure,
            _fmt(s.min) if s else "",
            _fmt(s.median) if s else "",
            f"{self.ratio:.2f}×" if self.ratio is not None else "",
            f"{rss:.0f} MiB" if rss is not None else "",
            self.target,
            ("yes" if self.met else "NO") + (f" ({self.value})" if self.value else "") if self.met is not None else "",
        ]


def table(rows: list[Row]) -> str:
    head = ["measure", "min", "median", "×floor", "peak RSS", "target", "met?"]
    body = [r.cells() for r in rows]
    widths = [max(_width(x) for x in col) for col in zip(head, *body, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=False)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)])


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F and ch != "×" else 1 for ch in text)
