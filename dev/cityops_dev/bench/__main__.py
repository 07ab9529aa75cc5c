"""`python -m cityops_dev.bench [--repeat N] [--smoke] [--only GROUPS]`: run the measures, print the table.

Results go to CITYOPS_HOME/bench/results.json. Groups: load (1–4), xlsx (5), dbt (6),
airflow (7), month (8), bi (9), portal (10), validate (11: a 10-row file checked cold and warm),
limits (L1–L5: the wall-clock limits tests no longer assert). `--smoke` runs every group tiny (2,000 rows, one run
each) to prove the harness works; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path

from cityops_dev.bench import core
from cityops_dev.bench.core import Config, Row, say

TABLE_KEYS = ["measure", "min", "median", "x_floor", "peak_rss", "target", "met"]
# A smoke run stays under a minute: the groups that run dbt or Airflow report n/a in it.
SMOKE_GROUPS = ["load", "xlsx"]
GROUPS = ["load", "xlsx", "validate", "dbt", "month", "airflow", "bi", "portal", "limits"]


def _group(name: str):
    from cityops_dev.bench import limits, load, portal, transform, validate, warehouse, xlsx

    return {
        "load": load.measure,
        "validate": validate.measure,
        "xlsx": xlsx.measure,
        "dbt": transform.measure_dbt,
        "month": warehouse.measure_month,
        "airflow": transform.measure_airflow,
        "bi": warehouse.measure_bi,
        "portal": portal.measure_portal,
        "limits": limits.measure,
    }[name]


NA_KEYS = {
    "load": [
        "ingest_vs_copy_ratio",
        "ingest_peak_rss_mib",
        "ingest_rss_100k_mib",
        "rss_growth_100k_to_1m_pct",
        "reject_1pct_s",
        "reject_report_bytes",
    ],
    "xlsx": ["xlsx_read_vs_calamine_ratio"],
    "validate": ["validate_small_cold_s", "validate_small_warm_s"],
    "dbt": ["dbt_incremental_vs_full_pct"],
    "month": ["month_end_to_end_s"],
    "airflow": ["dag_parse_max_s", "airflow_vs_dbt_ratio"],
    "bi": ["bi_query_p95_ms"],
    "portal": ["portal_garbage_p95_s", "portal_hotline_p95_s", "portal_calendar_p95_ms"],
    "limits": [
        "limit_refuse_laughs",
        "limit_refuse_bomb",
        "limit_refuse_too_large",
        "limit_samples_50000",
        "limit_dagbag",
    ],
}
NA_LABELS = {
    "load": "1–4. floor, ingest, RSS, reject",
    "xlsx": "5. xlsx read vs calamine",
    "validate": "11. validate a 10-row file, cold and warm",
    "dbt": "6. dbt incremental vs full",
    "month": "8. month end to end",
    "airflow": "7. DAG parse, Airflow vs dbt",
    "bi": "9. BI query p95",
    "portal": "10. portal upload → answer, calendar under load",
    "limits": "L1–L5. refusals, samples, DAG import",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cityops_dev.bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (slow measures run fewer)")
    parser.add_argument("--smoke", action="store_true", help="every measure tiny, once: proves the harness")
    parser.add_argument("--only", default=None, help=f"comma-separated groups of {GROUPS} (default all)")
    parser.add_argument("--rows", type=int, default=None, help="rows of the big hotline file (default 1,000,000)")
    parser.add_argument("--keep", action="store_true", help="leave the bench warehouses running")
    return parser.parse_args(argv)


def config(args: argparse.Namespace) -> Config:
    root = Path(os.environ.get("CITYOPS_HOME", "var")).resolve() / "bench"
    if args.smoke:
        cfg = Config(root, repeat=1, smoke=True, rows=2_000, small_rows=1_000, xlsx_rows=1_000, bi_months=6)
    else:
        cfg = Config(root, repeat=max(1, args.repeat))
    if args.rows:
        cfg.rows = args.rows
    return cfg


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    cfg = config(args)
    cfg.root.mkdir(parents=True, exist_ok=True)
    default = SMOKE_GROUPS if cfg.smoke else GROUPS
    groups = [g.strip() for g in args.only.split(",") if g.strip()] if args.only else default
    unknown = set(groups) - set(GROUPS)
    if unknown:
        print(f"unknown group(s) {sorted(unknown)}; known: {GROUPS}", file=sys.stderr)
        return 2
    say(f"bench under {cfg.root} (repeat {cfg.repeat}{', smoke' if cfg.smoke else ''}; groups {', '.join(groups)})")
    started = time.perf_counter()
    rows: list[Row] = []
    results: dict = {}
    details: dict = {}
    timings: dict = {}
    try:
        for group in GROUPS:
            if group not in groups:
                group_rows, group_results = _na(group, "not run (--only)" if args.only else "not run in --smoke")
                rows += group_rows
                results.update(group_results)
                continue
            say(f"== {group}")
            t0 = time.perf_counter()
            try:
                group_rows, group_results = _group(group)(cfg)
            except core.Unavailable as why:
                group_rows, group_results = _na(group, str(why))
            except Exception as exc:  # one broken measure must not hide the others
                (cfg.root / f"{group}-error.txt").write_text(traceback.format_exc(), encoding="utf-8")
                say(f"  {group} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                group_rows, group_results = _na(group, f"failed ({type(exc).__name__}; {cfg.root / group}-error.txt)")
            timings[group] = round(time.perf_counter() - t0, 1)
            details[group] = group_results.pop("details", {})
            rows += group_rows
            results.update(group_results)
    finally:
        if not args.keep:
            for home in sorted(cfg.work.glob("*")) if cfg.work.exists() else []:
                core.stop_warehouse(home)
    total = time.perf_counter() - started
    results["meta"] = {
        "smoke": cfg.smoke,
        "repeat": cfg.repeat,
        "rows": cfg.rows,
        "total_s": round(total, 1),
        "group_s": timings,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "table": [dict(zip(TABLE_KEYS, r.cells(), strict=False)) for r in rows],
        "details": details,
    }
    out = cfg.root / "results.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(core.table(rows))
    print(f"\n{len(rows)} measures in {total / 60:.1f} min; results in {out}")
    if not args.keep and cfg.smoke:
        shutil.rmtree(cfg.work, ignore_errors=True)
    return 0


def _na(group: str, why: str) -> tuple[list[Row], dict]:
    return [Row(NA_LABELS[group], na=f"n/a: {why}")], {key: f"n/a: {why}" for key in NA_KEYS[group]}


if __name__ == "__main__":
    sys.exit(main())
