"""The submission calendar: which department owes which extract, and which came late.

Every monthly extract is due by the end of the 10th of the following month (Shanghai
time). A month counts as submitted on time when a file that passed its checks (now
`current`, or `superseded` by a correction) arrived by then, or a file waiting in
landing/ was put there by then. Snapshot datasets are sent when they change: never late.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cityops.settings import Home

log = logging.getLogger("cityops.submissions")
SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE_DAY = 10


def due_on(period: dt.date) -> dt.date:
    """The last day a month's extract is on time: the 10th of the following month."""
    year, month = (period.year + 1, 1) if period.month == 12 else (period.year, period.month + 1)
    return dt.date(year, month, DUE_DAY)


def _deadline(period: dt.date) -> dt.datetime:
    return dt.datetime.combine(due_on(period) + dt.timedelta(days=1), dt.time(), SHANGHAI)


def _batches(home: Home, month: dt.date) -> dict[str, dict[str, Any]]:
    """Per dataset: when the first good file arrived, and whether only rejected ones did."""
    from cityops.load.warehouse import connect

    with connect(home) as conn:
        exists = conn.execute("select to_regclass('audit.ingest_batches') is not null").fetchone()[0]
        if not exists:
            return {}
        rows = conn.execute(
            "select dataset, min(received_at) filter (where status in ('current', 'superseded')), "
            "count(*) filter (where status = 'rejected') "
            "from audit.ingest_batches where period = %s group by dataset",
            (month,),
        ).fetchall()
    return {dataset: {"received_at": received, "rejected": rejected} for dataset, received, rejected in rows}


def _landed(home: Home, dataset: str, period: str) -> dt.datetime | None:
    folder = home.landing / dataset
    times = [p.stat().st_mtime for p in folder.glob(f"{period}*") if p.is_file()] if folder.is_dir() else []
    return dt.datetime.fromtimestamp(min(times), SHANGHAI) if times else None


def check_month(period: str, as_of: dt.datetime | None = None, home: Home | None = None) -> list[dict[str, Any]]:
    """One row per dataset for the month: department, due date, status, and what to do."""
    from cityops.contracts import all_contracts
    from cityops.pipeline import parse_period

    home = home or Home.from_env()
    month = parse_period(period)
    as_of = as_of or dt.datetime.now(SHANGHAI)
    deadline, batches = _deadline(month), _batches(home, month)
    rows = []
    for contract in all_contracts().values():
        seen = batches.get(contract.dataset, {})
        received = seen.get("received_at") or _landed(home, contract.dataset, period)
        row = {
            "department": contract.department,
            "dataset": contract.dataset,
            "period": period,
            "due_on": due_on(month).isoformat(),
            "received_at": received.astimezone(SHANGHAI).isoformat(timespec="minutes") if received else None,
        }
        if contract.submission == "snapshot":
            row["status"], row["action"] = "snapshot", "sent when it changes; no due date"
        elif received:
            row["status"] = "on_time" if received < deadline else "late"
            row["action"] = "" if received < deadline else f"arrived {(received - deadline).days + 1} day(s) late"
        elif seen.get("rejected"):
            row["status"] = "rejected" if as_of < deadline else "missing"
            row["action"] = f"{seen['rejected']} file(s) rejected; ask {contract.department} for a corrected file"
        elif as_of < deadline:
            row["status"], row["action"] = "outstanding", f"not yet due; due by {row['due_on']}"
        else:
            overdue = (as_of - deadline).days + 1
            row["status"] = "missing"
            row["action"] = (
                f"{overdue} day(s) overdue; ask {contract.department} to upload "
                f"{Path('landing') / contract.dataset / (period + '.xlsx')}"
            )
        rows.append(row)
    return rows


def log_report(rows: list[dict[str, Any]]) -> None:
    """The calendar in the task log, grouped by department, the ones to chase first."""
    for department in sorted({r["department"] for r in rows}):
        mine = [r for r in rows if r["department"] == department]
        for r in mine:
            level = logging.WARNING if r["status"] in {"late", "missing", "rejected"} else logging.INFO
            log.log(level, "%s %s %s: %s %s", department, r["dataset"], r["period"], r["status"].upper(), r["action"])
    owed = [r for r in rows if r["status"] in {"missing", "rejected"}]
    late = [r for r in rows if r["status"] == "late"]
    log.info(
        "submission calendar: %d on time, %d late, %d missing or rejected, %d not yet due",
        sum(r["status"] == "on_time" for r in rows),
        len(late),
        len(owed),
        sum(r["status"] == "outstanding" for r in rows),
    )
