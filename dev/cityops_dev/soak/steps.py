"""The soak's steps: land a month, close a chunk with `cityops backfill`, correct, snapshot."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from cityops.periods import add_months
from cityops_dev.samples import write_month

CITYOPS = str(Path(sys.executable).with_name("cityops"))
CORRECT_EVERY = 5  # a corrected file for a month already closed
REJECT_EVERY = 7  # a wrong file beside a month's good one
CORRECTED = ("garbage_sorting", "water_quality", "hotline_cases")


def _run_with_rss(argv: list[str], env: dict[str, str]) -> dict:
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        out_path = Path(env["CITYOPS_HOME"]) / "soak" / "child.out"
        err_path = Path(env["CITYOPS_HOME"]) / "soak" / "child.err"
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with out_path.open("wb") as fo, err_path.open("wb") as fe:
            proc = subprocess.Popen(argv, env=env, stdout=fo, stderr=fe, stdin=devnull)
            _, status, usage = os.wait4(proc.pid, 0)
    return {
        "code": os.waitstatus_to_exitcode(status),
        "out": out_path.read_text(encoding="utf-8", errors="replace"),
        "err": err_path.read_text(encoding="utf-8", errors="replace")[-3000:],
        "seconds": round(time.perf_counter() - started, 1),
        "rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


class Soak:
    def __init__(self, home: Path, first: dt.date, months: int, chunk: int, hotline_rows: int, airflow: bool):
        self.home = home
        self.months = [add_months(first, i) for i in range(months)]
        self.chunk = chunk
        self.hotline_rows = hotline_rows
        self.airflow = airflow
        self.chunks: list[dict] = []
        self.loads: list[dict] = []  # the corrections, one `cityops ingest` each
        self.snapshots: list[tuple[list[str], dict]] = []  # (months closed so far, {(fact, month): md5})
        self.rejections_sent: list[tuple[str, str]] = []
        os.environ["CITYOPS_HOME"] = str(home)
        os.environ.pop("CITYOPS_WAREHOUSE_URL", None)

    # --- the run ---------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        # every build in its own process: the soak measures them, and leaves no server behind
        env = dict(
            os.environ, CITYOPS_HOME=str(self.home), XDG_RUNTIME_DIR=str(self.home / "run"), CITYOPS_BUILD_SERVER="off"
        )
        env.pop("CITYOPS_WAREHOUSE_URL", None)
        (self.home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
        return env

    def say(self, message: str) -> None:
        print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def run(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        self.home.chmod(0o755)  # the embedded server runs as its own user when we are root
        started = _run_with_rss([CITYOPS, "warehouse", "start"], self.env())
        if started["code"] != 0:
            raise RuntimeError(f"the soak's warehouse did not start: {started['err']}")
        for start in range(0, len(self.months), self.chunk):
            self.close_chunk(self.months[start : start + self.chunk])

    def close_chunk(self, months: list[dt.date]) -> None:
        for month in months:
            self.land(month)
        first, last = f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}"
        argv = [CITYOPS, "backfill", "--from", first, "--to", last, "--json"]
        if not self.airflow:
            argv.insert(-1, "--in-process")
        self.say(f"backfill {first}..{last}")
        done = _run_with_rss(argv, self.env())
        statuses: dict[str, int] = {}
        try:
            for summary in json.loads(done["out"].strip().splitlines()[-1]):
                for item in summary["files"]:
                    statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        except (ValueError, IndexError, KeyError):
            statuses = {"unreadable summary": 1}
        corrections = [m for m in months if self.months.index(m) % CORRECT_EVERY == CORRECT_EVERY - 1]
        for month in corrections:
            self.correct(month)
        if corrections:
            build = _run_with_rss([CITYOPS, "build"], self.env())
            if build["code"] != 0:
                self.say(f"build after corrections failed: {build['err'][-500:]}")
        self.chunks.append(
            {
                "months": f"{first}..{last}",
                "exit": done["code"],
                "seconds": done["seconds"],
                "peak_rss_mib": done["rss_mib"],
                "files": statuses,
                "warehouse_mib": self.size_mib(),
                "error": done["err"][-800:] if done["code"] else "",
            }
        )
        self.say(f"  {self.chunks[-1]}")
        closed = [f"{m:%Y-%m}" for m in self.months[: self.months.index(months[-1]) + 1]]
        self.snapshots.append((closed, self.marts_by_month()))

    def land(self, month: dt.date) -> None:
        landing = self.home / "landing"
        write_month(month, landing, hotline_rows=self.hotline_rows)
        index = self.months.index(month)
        if index % REJECT_EVERY == REJECT_EVERY - 1 and index > 0:
            # The department resends last month's file as this month's: refused (equals_period).
            earlier = landing / "garbage_sorting"
            source = next(earlier.glob(f"{self.months[index - 1]:%Y-%m}.*"), None)  # same chunk: still waiting
            if source is None:  # closed in an earlier chunk: its kept copy
                kept = (self.home / "archive" / "garbage_sorting" / f"{self.months[index - 1]:%Y-%m}").rglob("*")
                source = next(
                    (p for p in kept if p.suffix in {".xlsx", ".xls", ".csv"} and ".marked" not in p.name), None
                )
            if source is None:
                return
            wrong = landing / "garbage_sorting" / f"{month:%Y-%m}_resent{source.suffix}"
            shutil.copy(source, wrong)
            later = time.time() + 60
            os.utime(wrong, (later, later))
            self.rejections_sent.append(("garbage_sorting", f"{month:%Y-%m}"))

    def correct(self, month: dt.date) -> None:
        dataset = CORRECTED[(self.months.index(month) // CORRECT_EVERY) % len(CORRECTED)]
        folder = self.home / "soak" / "corrections" / f"{month:%Y-%m}"
        (path,) = write_month(month, folder, seed=7, hotline_rows=self.hotline_rows, datasets=[dataset])
        argv = [CITYOPS, "ingest", str(path), "--dataset", dataset, "--period", f"{month:%Y-%m}", "--json"]
        done = _run_with_rss(argv, self.env())
        try:
            outcome = json.loads(done["out"].strip().splitlines()[-1])
        except (ValueError, IndexError):
            outcome = {"status": f"exit {done['code']}", "rows": None}
        self.loads.append(
            {
                "month": f"{month:%Y-%m}",
                "dataset": dataset,
                "status": outcome.get("status"),
                "rows": outcome.get("rows"),
                "seconds": done["seconds"],
                "peak_rss_mib": done["rss_mib"],
            }
        )
        self.say(f"  correction {self.loads[-1]}")

    def stop(self) -> None:
        if (self.home / "warehouse" / "postmaster.pid").exists():
            subprocess.run([CITYOPS, "warehouse", "stop"], env=self.env(), capture_output=True, check=False)

    # --- what it records -------------------------------------------------------------------------

    def connect(self):
        from cityops.load.warehouse import connect
        from cityops.settings import Home

        return connect(Home(self.home))

    def size_mib(self) -> float:
        with self.connect() as conn:
            return round(conn.execute("select pg_database_size(current_database())").fetchone()[0] / 2**20, 1)

    def marts_by_month(self) -> dict[tuple[str, str], str]:
        """A checksum of every fact's and the scorecard's rows, per month."""
        prints = {}
        with self.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "select table_name from information_schema.columns where table_schema = 'marts' "
                    "and column_name = 'month_start' and (table_name like 'fct\\_%' or table_name like 'kpi\\_%')"
                )
            ]
            for table in tables:
                rows = conn.execute(
                    "select month_start::text, md5(string_agg(t::text, E'\\n' order by t::text)) "
                    f'from marts."{table}" t group by 1'
                )
                for month, digest in rows:
                    prints[(table, month[:7])] = digest
        return prints

    def figures(self) -> dict:
        first, last = (self.loads[0], self.loads[-1]) if self.loads else ({}, {})
        sizes = [c["warehouse_mib"] for c in self.chunks]
        steps = [round(b - a, 1) for a, b in zip([0.0, *sizes], sizes, strict=False)]
        return {
            "chunks": self.chunks,
            "loads": self.loads,
            "rejections_sent": len(self.rejections_sent),
            "memory_first_load_mib": first.get("peak_rss_mib"),
            "memory_last_load_mib": last.get("peak_rss_mib"),
            "warehouse_mib_by_chunk": sizes,
            "warehouse_growth_by_chunk_mib": steps,
        }
