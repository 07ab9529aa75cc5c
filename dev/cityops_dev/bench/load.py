"""Measures 1–4: the COPY floor, the cold 1M-row ingest, RSS at 100k, a 1%-bad file rejected.

All on one embedded warehouse under bench/work/load. Before every timed run the raw,
audit and stage schemas are dropped (so each ingest is a real first load, never
`unchanged`) and a CHECKPOINT flushes the previous run's writes.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import psycopg

from cityops_dev.bench import inputs
from cityops_dev.bench.core import (
    CITYOPS,
    Config,
    Row,
    Run,
    Sample,
    bench_child,
    child_env,
    cityops,
    repeat,
    run_child,
    say,
)

INGEST_TARGET = 4.0  # issue 15: ≤ 4× the COPY floor of the same run; the aim stays 2×
INGEST_AIM = 2.0
_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO cityops\.(?:ingest|gate): \w+: (.*)$")
_MARKS = {"reading": "reading", "rows staged": "staged", "gate ran": "gated"}


def libpq_url(home: Path) -> str:
    url = cityops(home, "warehouse", "url").text().strip().splitlines()[-1]
    return "postgresql://" + url.split("://", 1)[1]


def reset(home: Path, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, stage cascade")
        conn.execute("drop table if exists public.bench_floor")
        conn.execute("checkpoint")
    for folder in ("archive", "quarantine", "bench-logs"):
        shutil.rmtree(home / folder, ignore_errors=True)


def ingest(home: Path, file: Path, expect: str) -> tuple[Run, dict, dict]:
    """One cold `cityops ingest --json`; the run, its JSON outcome, and its phases from the log."""
    log = home / "logs" / "cityops.log"
    before = log.stat().st_size if log.exists() else 0
    started = dt.datetime.now()
    run = run_child(
        [CITYOPS, "ingest", str(file), "--dataset", "hotline_cases", "--period", inputs.PERIOD, "--json"],
        child_env(home),
        ok_codes=(0, 1),
    )
    outcome = run.json()
    if outcome["status"] != expect:
        raise RuntimeError(f"expected `{expect}`, got `{outcome['status']}`: {outcome.get('counts')}")
    return run, outcome, _phases(log, before, started, run.seconds)


def _phases(log: Path, offset: int, started: dt.datetime, total: float) -> dict:
    """Start-up (until the header is found), read+normalise+hash+COPY, the GX gate, and the rest."""
    marks = {}
    with log.open(encoding="utf-8", errors="replace") as fh:
        fh.seek(offset)
        for line in fh:
            match = _LOG_LINE.match(line)
            if match:
                when = dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f")
                key = next((mark for text, mark in _MARKS.items() if text in match[2]), None)
                if key:
                    marks[key] = (when - started).total_seconds()
    if "reading" not in marks or "staged" not in marks:
        return {}
    phases = {
        "startup_s": round(marks["reading"], 2),
        "read_normalise_copy_s": round(marks["staged"] - marks["reading"], 2),
    }
    if "gated" in marks:  # GX's import and its checks, then history rules, publish, filing, exit
        phases["gx_gate_s"] = round(marks["gated"] - marks["staged"], 2)
        phases["after_gate_s"] = round(total - marks["gated"], 2)
    else:
        phases["gate_publish_exit_s"] = round(total - marks["staged"], 2)
    return phases


def _warm(path: Path) -> None:
    """Read the file once, so every timed run (the first floor too) finds it in the page cache."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def _median_phases(phases: list[dict]) -> dict:
    import statistics

    keys = set().union(*phases) if phases else set()
    return {k: round(statistics.median(p[k] for p in phases if k in p), 2) for k in sorted(keys)}


def measure(cfg: Config) -> tuple[list[Row], dict]:
    big = inputs.hotline_csv(cfg, cfg.rows)
    small = inputs.hotline_csv(cfg, cfg.small_rows)
    bad = inputs.bad_csv(cfg, cfg.rows)
    home = cfg.fresh_home("load")
    url = libpq_url(home)
    _warm(big)
    rows_label = f"{cfg.rows // 1000}k" if cfg.rows < 1_000_000 else f"{cfg.rows // 1_000_000}M"

    say(f"1+2. floor (COPY) and cold ingest of {cfg.rows:,} rows, interleaved, {cfg.repeat}×")
    floor, ingest_big, phases = Sample(), Sample(), []
    budget = 60 if cfg.smoke else 480
    for i in range(cfg.repeat):
        reset(home, url)
        run = bench_child(home, "copy", str(big), url)
        floor.add(run.seconds, run.rss_mib)
        say(f"  floor COPY #{i + 1}: {run.seconds:.2f} s, peak RSS {run.rss_mib:.0f} MiB ({run.text().strip()})")
        reset(home, url)
        run, outcome, phase = ingest(home, big, "loaded")
        ingest_big.add(run.seconds, run.rss_mib)
        phases.append(phase)
        say(f"  ingest #{i + 1}: {run.seconds:.2f} s, peak RSS {run.rss_mib:.0f} MiB, {outcome['rows']:,} rows {phase}")
        if i + 1 < cfg.repeat and sum(ingest_big.seconds) + sum(floor.seconds) + run.seconds > budget:
            ingest_big.note = floor.note = f"{i + 1} of {cfg.repeat} runs: time budget {budget} s"
            break

    say(f"3. cold ingest of {cfg.small_rows:,} rows (RSS flatness), {cfg.repeat}×")
    small_phases: list[dict] = []

    def once_small(i: int) -> Run:
        reset(home, url)
        run, _, phase = ingest(home, small, "loaded")
        small_phases.append(phase)
        return run

    ingest_small = repeat(f"ingest {cfg.small_rows:,}", cfg.repeat, once_small, budget_s=120)

    reject_times = max(1, min(cfg.repeat, 2))
    say(f"4. the {cfg.rows:,}-row file with 1% bad rows, {reject_times}× (slow: at most 2 runs)")
    reports: list[int] = []
    counts: list = []

    def once_bad(i: int) -> Run:
        reset(home, url)
        run, outcome, _ = ingest(home, bad, "rejected")
        reports.append(run.stdout.stat().st_size)
        counts[:] = outcome.get("counts", [])
        return run

    reject = repeat("reject", reject_times, once_bad, budget_s=300)

    ratio = ingest_big.median / floor.median
    rss = ingest_big.rss_median or 0.0
    rss_small = ingest_small.rss_median or 0.0
    growth = 100.0 * (rss - rss_small) / rss_small if rss_small else 0.0
    report_bytes = max(reports)
    reject_vs_ingest = reject.median / ingest_big.median
    rows = [
        Row(f"1. floor: COPY {rows_label} rows", floor, 1.0),
        Row(
            f"2. ingest {rows_label}, cold, all in",
            ingest_big,
            ratio,
            value=f"{ratio:.2f}×, {rss:.0f} MiB",
            target=f"≤ {INGEST_TARGET:.0f}× floor (aim {INGEST_AIM:.0f}×), ≤ 400 MiB",
            met=ratio <= INGEST_TARGET and rss <= 400,
        ),
        Row(
            f"3. ingest {cfg.small_rows // 1000}k",
            ingest_small,
            ingest_small.median / floor.median,
            value=f"RSS {growth:+.0f}% to {rows_label}",
            target="RSS within 10% of 1M",
            met=abs(growth) <= 10,
        ),
        Row(
            f"4. reject {rows_label} with 1% bad",
            reject,
            reject.median / floor.median,
            value=f"{reject_vs_ingest:.2f}× ingest, report {report_bytes / 1024:.0f} KiB",
            target="≈ ingest (≤ 1.2×), report ≤ 256 KiB",
            met=reject_vs_ingest <= 1.2 and report_bytes <= 256 * 1024,
        ),
    ]
    results = {
        "copy_floor_s": round(floor.median, 3),
        "ingest_1m_s": round(ingest_big.median, 3),
        "ingest_vs_copy_ratio": round(ratio, 3),
        "ingest_peak_rss_mib": round(rss, 1),
        "ingest_100k_s": round(ingest_small.median, 3),
        "ingest_rss_100k_mib": round(rss_small, 1),
        "rss_growth_100k_to_1m_pct": round(growth, 1),
        "reject_1pct_s": round(reject.median, 3),
        "reject_vs_ingest_ratio": round(reject_vs_ingest, 3),
        "reject_report_bytes": report_bytes,
        "details": {
            "floor": floor.to_json(),
            "ingest_1m": {**ingest_big.to_json(), "phases_median": _median_phases(phases)},
            "ingest_100k": {**ingest_small.to_json(), "phases_median": _median_phases(small_phases)},
            "reject_1pct": {**reject.to_json(), "counts": counts},
            "input_rows": {"big": cfg.rows, "small": cfg.small_rows},
        },
    }
    return rows, results
