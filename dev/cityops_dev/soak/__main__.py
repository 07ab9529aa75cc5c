"""`python -m cityops_dev.soak [--months 60] [--chunk 12] [--airflow]`: five years through `cityops backfill`.

Every month of all eleven datasets (`cityops samples`, the hotline cut to --hotline-rows
tickets) is put in landing/ and closed by `cityops backfill` in chunks of --chunk months;
now and then a department sends a wrong file too (last month's garbage file as this
month's: refused), and every few months a corrected file replaces a month already closed
(`cityops ingest`, measured on its own: the memory of one load, month 1 to month 60).
After each chunk it records the warehouse's size and each month's marts.

Afterwards it checks: every (dataset, month) has exactly one current batch; every fact
reconciles with raw (the dbt reconciliation tests); the scorecard has every indicator ×
month; audit.ingest_batches and the files under archive/ and quarantine/ agree one to
one; no month's marts changed when a later month was loaded. Results (and the figures:
memory per load, warehouse size per month) go to <home>/soak/results.json and the table
it prints. Exit 0 when every check holds.

Not part of `make test`: sixty months take well over five minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

from cityops_dev.soak import checks
from cityops_dev.soak.steps import Soak


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cityops_dev.soak", description=__doc__)
    parser.add_argument("--months", type=int, default=60, help="months to load (default 60: five years)")
    parser.add_argument("--first", default="2021-01", help="first month, YYYY-MM (default 2021-01)")
    parser.add_argument("--chunk", type=int, default=12, help="months per `cityops backfill` (default 12)")
    parser.add_argument("--hotline-rows", type=int, default=2000, help="tickets per hotline month (default 2,000)")
    parser.add_argument("--airflow", action="store_true", help="backfill through Airflow (default: --in-process)")
    parser.add_argument("--home", default=None, help="CITYOPS_HOME of the soak (default: $CITYOPS_HOME/soak-home)")
    parser.add_argument("--keep", action="store_true", help="leave the soak's warehouse running afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    base = Path(os.environ.get("CITYOPS_HOME", "var")).resolve()
    home = Path(args.home).resolve() if args.home else base / "soak-home"
    first = dt.date.fromisoformat(f"{args.first}-01")
    soak = Soak(home, first, args.months, args.chunk, args.hotline_rows, args.airflow)
    started = time.perf_counter()
    try:
        soak.run()
        verdicts = checks.run_all(soak)
    finally:
        if not args.keep:
            soak.stop()
    results = {
        "months": args.months,
        "chunk": args.chunk,
        "airflow": args.airflow,
        "hotline_rows": args.hotline_rows,
        "total_min": round((time.perf_counter() - started) / 60, 1),
        "checks": verdicts,
        **soak.figures(),
    }
    out = home / "soak" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(checks.table(results))
    print(f"\nresults in {out}")
    if not args.keep:
        shutil.rmtree(home / "landing", ignore_errors=True)
    return 0 if all(v["ok"] for v in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
