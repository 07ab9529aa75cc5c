"""The month close: ingest what waits in landing/, build the marts, say what happened.

Used by `cityops run` and by the Airflow DAGs (which call the same functions per task).
A file is picked up when it sits in `landing/<dataset>/` and its name starts with the
month (`2025-03.xlsx`, `2025-03_corrected.csv`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from cityops.contracts import all_contracts
from cityops.extract.sniff import CSV_SUFFIXES, XLS_SUFFIXES, XLSX_SUFFIXES
from cityops.settings import Home

log = logging.getLogger("cityops.monthly")
SUFFIXES = XLSX_SUFFIXES | XLS_SUFFIXES | CSV_SUFFIXES


def landed_files(period: str, home: Home | None = None) -> list[tuple[str, Path]]:
    """(dataset, file) waiting in landing/ for the month, oldest first within a dataset."""
    home = (home or Home.from_env()).ensure()
    found = []
    for dataset in all_contracts():
        folder = home.landing / dataset
        if folder.is_dir():
            files = [
                p
                for p in folder.iterdir()
                if p.is_file() and p.name.startswith(period) and p.suffix.lower() in SUFFIXES
            ]
            found += [(dataset, p) for p in sorted(files, key=lambda p: (p.stat().st_mtime, p.name))]
    return found


def waiting_in_landing(dataset: str, home: Home | None = None) -> list[tuple[str, Path]]:
    """(period, file) for each file of one dataset named with its month, oldest first.

    The ingest DAG of a dataset uses this: whatever month a file is for, it is loaded as
    soon as it lands. Files not named YYYY-MM… or of another type stay, and are logged.
    """
    from cityops.pipeline import UsageError, parse_period

    folder = (home or Home.from_env()).landing / dataset
    found = []
    files = sorted((p for p in folder.glob("*") if p.is_file()), key=lambda p: (p.stat().st_mtime, p.name))
    for path in files:
        try:
            parse_period(path.name[:7])
        except UsageError:
            log.warning("%s: not named with its month (YYYY-MM…); rename it, e.g. 2025-03.xlsx", path)
            continue
        if path.suffix.lower() not in SUFFIXES:
            log.warning("%s: not an .xlsx, .xls or .csv file; it is left where it is", path)
            continue
        found.append((path.name[:7], path))
    return found


def ingest_one(dataset: str, path: Path | str, period: str) -> dict[str, Any]:
    from cityops.pipeline import ingest

    outcome = ingest(Path(path), dataset, period)
    log.info("%s %s: %s (%d rows) %s", dataset, period, outcome.status, outcome.rows, Path(path).name)
    data = outcome.to_json()
    data["file"] = Path(path).name
    return data


def _build_state(home: Home) -> str:
    """What the marts are built from: the dbt project's files and the decided batches."""
    import hashlib

    from cityops.load.warehouse import connect
    from cityops.settings import dbt_project_dir

    digest = hashlib.sha256()
    project = dbt_project_dir()
    for path in sorted(p for p in project.rglob("*") if p.is_file() and "target" not in p.parts):
        digest.update(str(path.relative_to(project)).encode() + path.read_bytes())
    with connect(home) as conn:
        exists = conn.execute("select to_regclass('audit.ingest_batches') is not null").fetchone()[0]
        if exists:
            digest.update(
                repr(
                    conn.execute(
                        "select count(*), max(decided_at) from audit.ingest_batches "
                        "where status in ('current', 'superseded')"
                    ).fetchone()
                ).encode()
            )
    return digest.hexdigest()


SKIPPED_BUILD = "dbt build: skipped, the marts are up to date (nothing loaded or changed since)"


def _build_marker(home: Home) -> Path:
    return home.root / "dbt" / "last_build"


def marts_up_to_date(home: Home | None = None) -> bool:
    """True when neither the batches nor the dbt project changed since the last good build."""
    home = home or Home.from_env()
    marker = _build_marker(home)
    return marker.exists() and marker.read_text() == _build_state(home)


def record_good_build(home: Home | None = None) -> None:
    home = home or Home.from_env()
    marker = _build_marker(home)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(_build_state(home))


def build_marts(force: bool = False) -> dict[str, Any]:
    """Build the marts, unless nothing they are built from changed since the last build."""
    from cityops.transform.dbt import build, mart_row_counts

    home = Home.from_env()
    if not force and marts_up_to_date(home):
        return {"build": SKIPPED_BUILD, "marts": mart_row_counts(home)}
    result = build(home=home)
    record_good_build(home)
    return {"build": result.summary(), "marts": result.mart_rows}


def close_month(period: str) -> dict[str, Any]:
    """The same steps as the Airflow DAG, in this process."""
    from cityops.pipeline import parse_period

    parse_period(period)
    files = [ingest_one(dataset, path, period) for dataset, path in landed_files(period)]
    return write_summary(period, files, build_marts())


def close_month_in_airflow(period: str) -> dict[str, Any]:
    from cityops.orchestrate.airflow_run import run_monthly_dag

    return run_monthly_dag(period)


def summary_path(period: str, home: Home | None = None) -> Path:
    return (home or Home.from_env()).root / "runs" / f"month_close_{period}.json"


def write_summary(
    period: str, files: list[dict[str, Any]], built: dict[str, Any], submissions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The month's outcome as JSON under CITYOPS_HOME/runs, for `cityops run --airflow` to print."""
    import json

    from cityops.load.warehouse import redact, url

    summary = {"period": period, "ok": True, "files": files, **built, "url": redact(url())}
    if submissions is not None:
        summary["submissions"] = submissions
    path = summary_path(period)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return summary
