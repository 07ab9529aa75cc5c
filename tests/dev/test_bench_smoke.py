"""`make bench` itself is not a test (its numbers need a quiet machine); this proves the harness runs.

`python -m cityops_dev.bench --smoke` loads 2,000 rows (floor COPY, cold ingest, a 1%-bad
file, a 1,000-row xlsx), once each, and reports the dbt and Airflow groups as n/a: a
broken harness fails here, not half an hour into `make bench`. Nothing is timed against
a target.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# One key per measure of issues 8 and 15; the ones a smoke run measures must be numbers.
KEYS = [
    "validate_small_cold_s",
    "ingest_vs_copy_ratio",
    "ingest_peak_rss_mib",
    "ingest_rss_100k_mib",
    "rss_growth_100k_to_1m_pct",
    "reject_1pct_s",
    "reject_report_bytes",
    "xlsx_read_vs_calamine_ratio",
    "dbt_incremental_vs_full_pct",
    "dag_parse_max_s",
    "airflow_vs_dbt_ratio",
    "month_end_to_end_s",
    "bi_query_p95_ms",
]


@pytest.fixture
def bench_home():
    """Not under pytest's basetemp: a concurrent pytest session may prune it while the warehouse runs."""
    root = Path(tempfile.mkdtemp(prefix="cityops-bench-smoke-"))
    root.chmod(0o755)  # the embedded server runs as its own user when we are root
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_bench_smoke_writes_every_key(bench_home: Path):
    tmp_path = bench_home
    env = dict(os.environ, CITYOPS_HOME=str(tmp_path))
    env.pop("CITYOPS_WAREHOUSE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "cityops_dev.bench", "--smoke"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "bench" / "results.json").read_text(encoding="utf-8"))
    missing = [key for key in KEYS if key not in results]
    assert not missing, missing
    for key in ("ingest_vs_copy_ratio", "ingest_peak_rss_mib", "reject_report_bytes", "xlsx_read_vs_calamine_ratio"):
        assert isinstance(results[key], int | float) and results[key] > 0, (key, results[key])
    assert results["dbt_incremental_vs_full_pct"].startswith("n/a:")  # skipped in a smoke run, and says so
    assert "floor: COPY" in done.stdout and "met?" in done.stdout
    assert "[bench" in done.stderr  # progress, a line per step
    assert not (tmp_path / "bench" / "work").exists()  # the smoke run's warehouses are stopped and removed
