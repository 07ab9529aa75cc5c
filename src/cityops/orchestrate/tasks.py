"""What the DAG tasks do, as plain functions: the DAG files only wire these together.

Each function calls the same cityops code as the command line, takes and returns small
JSON-able values (ids, paths, counts), and logs in words an engineer can act on. The
retry policy lives in the exceptions: a rejected file fails at once (AirflowFailException:
retrying cannot fix a department's file), while an unreachable warehouse or a dbt lock
raises an ordinary error, which the task's retries take care of.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from cityops import periods
from cityops.errors import UsageError
from cityops.report.calendar import TO_CHASE
from cityops.settings import Home

log = logging.getLogger("cityops.tasks")
_KEEP = ("dataset", "period", "status", "rows", "batch_id", "file", "errors", "warnings", "message")


def months(period: str | None, through: str | None, logical_date: dt.datetime | None) -> list[str]:
    """The months a close run covers: `period` (to `through`), else the month before the run."""
    if not period:
        if logical_date is None:
            raise UsageError("give the month to close as the `period` param (YYYY-MM)")
        period = periods.period_text(periods.previous_month(logical_date.date()))
    start, end = periods.parse_period(period), periods.parse_period(through or period)
    if end < start:
        raise UsageError(f"`through` ({through}) is before `period` ({period})")
    return [periods.period_text(month) for month in periods.months_between(start, end)]


def check_calendar(months: list[str]) -> list[dict[str, Any]]:
    """The submission calendar of the months, after their files were loaded; logged for the engineer."""
    from cityops.load.warehouse import connect
    from cityops.report.calendar import log_calendar, month_calendar

    with connect() as conn:
        rows = [row for month in months for row in month_calendar(conn, periods.parse_period(month))]
    log_calendar(rows)
    return [row.to_json() for row in rows]


def files_waiting(months: list[str]) -> list[dict[str, Any]]:
    """The files in landing/ for the months, one task argument per dataset with its files
    in month order: a month's rules compare it with the month before (cumulative lengths,
    elevator stages), so one dataset's months must load in order, while datasets can run
    side by side."""
    from cityops.extract.landing import waiting_for

    found = waiting_for(months)
    items = [
        {
            "dataset": dataset,
            "files": [{"dataset": dataset, "path": str(path), "period": period} for period, path in files],
        }
        for dataset, files in found.items()
    ]
    log.info("%d file(s) waiting in landing/ for %s", sum(len(i["files"]) for i in items), ", ".join(months))
    return items


def ingest_files(item: dict[str, Any]) -> list[dict[str, Any]]:
    """One dataset's waiting files, oldest month first."""
    return [ingest_file(file) for file in item["files"]]


def files_of_dataset(dataset: str) -> list[dict[str, str]]:
    """Every file waiting in landing/<dataset>/, whatever its month."""
    from cityops.extract.landing import waiting

    items = [{"dataset": dataset, "path": str(p), "period": period} for period, p in waiting(dataset)]
    log.info("%d file(s) waiting in landing/%s/", len(items), dataset)
    return items


def ingest_one(dataset: str, path: Path | str, period: str) -> dict[str, Any]:
    """`cityops ingest` on one landed file; its outcome as JSON, with the file's name."""
    from cityops.ingest import ingest

    outcome = ingest(Path(path), dataset, period)
    log.info("%s %s: %s (%d rows) %s", dataset, period, outcome.status, outcome.rows, Path(path).name)
    return {**outcome.to_json(), "file": Path(path).name}


def ingest_file(item: dict[str, str], *, strict: bool = False) -> dict[str, Any]:
    """Check and load one landed file; the outcome as a small dict.

    strict (the ingest DAGs): a rejected file fails the task without retry, and an
    unchanged file skips it, so that only a real load updates the raw table's Asset.
    Not strict (the month close): both are reported in the month's summary instead.
    """
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    dataset, path, period = item["dataset"], item["path"], item["period"]
    try:
        outcome = ingest_one(dataset, path, period)
    except UsageError as exc:
        # Another run (the dataset's ingest DAG, or a parallel close) took the file first.
        message = f"{path}: {exc}; it was probably loaded by another run, see audit.ingest_batches"
        if strict:
            raise AirflowSkipException(message) from exc
        log.warning(message)
        return {"dataset": dataset, "period": period, "status": "gone", "rows": 0, "file": path, "message": message}
    result = {k: outcome[k] for k in _KEEP if k in outcome}
    status = outcome["status"]
    if status == "rejected":
        reasons = "; ".join(e.get("message_en") or e.get("rule", "") for e in outcome["errors"][:5])
        message = (
            f"{dataset} {period}: {path} REJECTED ({len(outcome['errors'])} problem(s): {reasons}). "
            f"It is in quarantine with its report ({outcome.get('stored_file')}); the department must send "
            "a corrected file. Retrying cannot help."
        )
        log.error(message)
        if strict:
            raise AirflowFailException(message)
    elif status == "unchanged":
        log.info("%s %s: %s is identical to the current batch; nothing changed", dataset, period, path)
        if strict:
            raise AirflowSkipException("identical to the current batch: the raw table did not change")
    else:
        log.info(
            "%s %s: loaded %d rows from %s as batch %s", dataset, period, outcome["rows"], path, outcome["batch_id"]
        )
    return result


def mart_counts() -> dict[str, int]:
    from cityops.transform.dbt import mart_row_counts

    counts = mart_row_counts(Home.from_env())
    for name, rows in sorted(counts.items()):
        log.info("marts.%s: %d rows", name, rows)
    return counts


def build_marts() -> dict[str, Any]:
    """The DAGs' dbt build: `cityops build` (what changed, published only when every test passed).

    A build whose tests or models failed fails the task without retry (the same data would
    fail again; the message names each failed node and says the marts were not replaced);
    dbt or the warehouse being unreachable is an ordinary error, retried.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from cityops.errors import BuildNotPublished
    from cityops.transform.dbt import build_marts as build

    try:
        built = build()
    except BuildNotPublished as exc:
        log.error("%s", exc)
        raise AirflowFailException(str(exc)) from exc
    log.info("%s", built["build"])
    return built


def write_month_summaries(
    months: list[str], outcomes: list[dict], submissions: list[dict], built: dict[str, Any] | None
) -> list[dict]:
    """One summary per month under CITYOPS_HOME/runs (what `cityops run --airflow` prints)."""
    from cityops.report.month import write_summary

    built = built or {"build": "dbt build: did not run", "marts": mart_counts()}
    summaries = []
    for month in months:
        files, rows = _of(month, outcomes), _of(month, submissions)
        summaries.append(write_summary(month, files, built, rows))
        log.info(
            "%s closed: %d file(s) ingested, %d extract(s) to chase",
            month,
            len(files),
            sum(r["state"] in TO_CHASE for r in rows),
        )
    return [{"period": s["period"], "files": len(s["files"])} for s in summaries]


def close_months(months: list[str]) -> list[dict[str, Any]]:
    """The month close in this process (`cityops run` without --airflow): the DAG's steps, in order."""
    from cityops.report.month import write_summary
    from cityops.transform.dbt import build_marts

    outcomes = [ingest_one(**file) for item in files_waiting(months) for file in item["files"]]
    built = build_marts()
    submissions = check_calendar(months)
    return [write_summary(month, _of(month, outcomes), built, _of(month, submissions)) for month in months]


def _of(month: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item["period"] == month]
