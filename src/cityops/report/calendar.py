"""The submission calendar: which department owes which extract, and what became of each.

One calendar, one set of words, for `cityops status`, the month close and the portal.
A monthly extract for month M is due by the end of the 10th of M+1, Shanghai time
(cityops.periods). For each dataset and month, its state is one of:

- `not_yet_due`: the month is still running, nothing can be owed yet;
- `due`: the month is over, the due date has not passed, nothing has loaded;
- `loaded` / `loaded_with_warnings`: a file passed by the due date (its current batch
  drew warnings, or not);
- `late`: the first file that passed arrived after the due date;
- `rejected`: files came, none passed (the department must send a corrected one);
- `missing`: the due date has passed and nothing came;
- `snapshot`: a register sent when it changes (the beautiful blocks): never owed.

A file counts from when it arrived: when it was put in landing/, or else when it was
handed to `cityops ingest`. Two views: one month over every department (with the
reporting and on-time rates the operations centre watches), and one department over
its last twelve months.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import psycopg

from cityops import periods
from cityops.contracts import Contract, all_contracts
from cityops.load.schema import ensure_audit
from cityops.load.warehouse import relation_exists

log = logging.getLogger("cityops.calendar")

STATES = ("not_yet_due", "due", "loaded", "loaded_with_warnings", "late", "rejected", "missing", "snapshot")
STATE_WORDS = {
    "not_yet_due": ("未到报送期", "not yet due"),
    "due": ("待报送", "due"),
    "loaded": ("已入库", "loaded"),
    "loaded_with_warnings": ("已入库（有提示）", "loaded with warnings"),
    "late": ("逾期报送", "late"),
    "rejected": ("被退回", "rejected"),
    "missing": ("未报送", "missing"),
    "snapshot": ("有变化时报送", "sent when it changes"),
}
TO_CHASE = {"due", "late", "rejected", "missing"}  # what the operations centre follows up
LOADED = ("current", "superseded")


@dataclass(frozen=True)
class Batch:
    batch_id: str
    period: dt.date
    status: str
    arrived_at: dt.datetime  # landed in landing/, else received by ingest
    received_at: dt.datetime
    errors: int
    warnings: int
    rows: int | None
    report_folder: str | None


@dataclass(frozen=True)
class Submission:
    """One dataset for one month, as the calendar sees it."""

    department: str
    dataset: str
    title: str
    title_en: str
    submission: str  # monthly | snapshot
    period: str
    due_on: str | None  # the last day a file counts as on time
    state: str
    action: str  # what to do about it, in a sentence
    received: bool
    late: bool
    missing: bool
    rejected: bool
    files: int
    first_received_at: str | None
    last_received_at: str | None
    latest_status: str | None
    latest_batch_id: str | None
    latest_errors: int | None
    latest_warnings: int | None
    latest_report_folder: str | None
    current_batch_id: str | None
    current_rows: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MonthOverview:
    """The operations centre's view of a month: every department × dataset, and two rates."""

    period: str
    rows: list[Submission]
    expected: int  # monthly extracts owed by now (the month is over)
    reported: int  # of those, how many have a file that passed
    on_time: int  # of those, how many passed by the due date

    @property
    def reporting_rate(self) -> float | None:
        return round(100 * self.reported / self.expected, 1) if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.expected, 1) if self.expected else None

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "expected": self.expected,
            "reported": self.reported,
            "on_time": self.on_time,
            "reporting_rate_pct": self.reporting_rate,
            "on_time_rate_pct": self.on_time_rate,
            "rows": [r.to_json() for r in self.rows],
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(periods.SHANGHAI).isoformat(timespec="seconds") if value else None


def _state(contract: Contract, month: dt.date, batches: list[Batch], now: dt.datetime) -> tuple[str, str, bool]:
    """(state, what to do, late) of one monthly dataset for one month; batches newest first."""
    deadline = periods.due_at(month)
    due = periods.due_on(month).isoformat()
    loaded = [b for b in batches if b.status in LOADED]
    if loaded:
        first = min(b.arrived_at for b in loaded)
        if first >= deadline:
            return "late", f"arrived {(first - deadline).days + 1} day(s) after the due date ({due})", True
        current = next((b for b in batches if b.status == "current"), None)
        if current is not None and current.warnings:
            return "loaded_with_warnings", f"{current.warnings} warning(s) to check with {contract.department}", False
        return "loaded", "", False
    overdue = now >= deadline
    if any(b.status == "rejected" for b in batches):
        rejected = sum(b.status == "rejected" for b in batches)
        when = "overdue" if overdue else f"due by {due}"
        return (
            "rejected",
            f"{rejected} file(s) rejected, {when}; ask {contract.department} for a corrected file",
            overdue,
        )
    if overdue:
        days = (now - deadline).days + 1
        return "missing", f"{days} day(s) overdue; ask {contract.department} to send landing/{contract.dataset}/", True
    if now >= periods.month_start_at(periods.next_month(month)):
        return "due", f"due by {due}", False
    return "not_yet_due", f"the month is still running; due by {due}", False


def judge(contract: Contract, month: dt.date, batches: list[Batch], now: dt.datetime) -> Submission:
    """The calendar's row for one dataset and month, from its files (newest first)."""
    snapshot = contract.submission == "snapshot"
    if snapshot:
        state, action, late = "snapshot", "sent when it changes; no due date", False
    else:
        state, action, late = _state(contract, month, batches, now)
    latest = batches[0] if batches else None
    current = next((b for b in batches if b.status == "current"), None)
    return Submission(
        department=contract.department,
        dataset=contract.dataset,
        title=contract.title_zh,
        title_en=contract.title_en,
        submission=contract.submission,
        period=periods.period_text(month),
        due_on=None if snapshot else periods.due_on(month).isoformat(),
        state=state,
        action=action,
        received=bool(batches),
        late=late,
        missing=state == "missing",
        rejected=bool(batches) and not any(b.status in LOADED for b in batches),
        files=len(batches),
        first_received_at=_iso(min((b.arrived_at for b in batches), default=None)),
        last_received_at=_iso(latest.arrived_at) if latest else None,
        latest_status=latest.status if latest else None,
        latest_batch_id=latest.batch_id if latest else None,
        latest_errors=latest.errors if latest else None,
        latest_warnings=latest.warnings if latest else None,
        latest_report_folder=latest.report_folder if latest else None,
        current_batch_id=current.batch_id if current else None,
        current_rows=current.rows if current else None,
    )


def _batches(conn: psycopg.Connection, contracts: list[Contract], first: dt.date, last: dt.date) -> dict:
    """Files of the datasets, newest first: by (dataset, month); a snapshot's by dataset alone."""
    if not relation_exists(conn, "audit.ingest_batches"):
        with conn.transaction():
            ensure_audit(conn)  # a warehouse that has never loaded a file: everything is owed
    # (no DDL otherwise: the portal reads the calendar as a department's role, which may not create)
    rows = conn.execute(
        "select dataset, batch_id::text, period, status, least(landed_at, received_at), "
        "received_at, errors, warnings, rows, report->>'report_folder' from audit.ingest_batches "
        "where dataset = any(%s) and (period between %s and %s or dataset = any(%s)) "
        "order by received_at desc, decided_at desc nulls first",
        (
            [c.dataset for c in contracts],
            first,
            last,
            [c.dataset for c in contracts if c.submission == "snapshot"],
        ),
    ).fetchall()
    found: dict[tuple[str, dt.date | None], list[Batch]] = defaultdict(list)
    snapshots = {c.dataset for c in contracts if c.submission == "snapshot"}
    for dataset, *fields in rows:
        batch = Batch(*fields)
        found[(dataset, None if dataset in snapshots else batch.period)].append(batch)
    return found


def _files(found: dict, contract: Contract, month: dt.date) -> list[Batch]:
    return found.get((contract.dataset, None if contract.submission == "snapshot" else month), [])


def month_calendar(conn: psycopg.Connection, month: dt.date, now: dt.datetime | None = None) -> list[Submission]:
    """Every dataset for one month, ordered by department then dataset."""
    now = now or periods.now()
    contracts = list(all_contracts().values())
    found = _batches(conn, contracts, month, month)
    rows = [judge(c, month, _files(found, c, month), now) for c in contracts]
    return sorted(rows, key=lambda r: (r.department, r.dataset))


def month_overview(conn: psycopg.Connection, month: dt.date, now: dt.datetime | None = None) -> MonthOverview:
    """The month over every department, with the reporting rate and the on-time rate."""
    rows = month_calendar(conn, month, now)
    owed = [r for r in rows if r.submission == "monthly" and r.state != "not_yet_due"]
    reported = [r for r in owed if r.state in {"loaded", "loaded_with_warnings", "late"}]
    on_time = [r for r in reported if r.state != "late"]
    return MonthOverview(periods.period_text(month), rows, len(owed), len(reported), len(on_time))


def department_calendar(
    conn: psycopg.Connection,
    department: str,
    *,
    months: int = 12,
    now: dt.datetime | None = None,
    until: dt.date | None = None,
) -> list[Submission]:
    """One department's datasets over its last `months` months (this one included), newest month first;
    with `until`, the `months` months up to that one (never past this month): an earlier window."""
    now = now or periods.now()
    last = periods.month_of(now.astimezone(periods.SHANGHAI).date())
    if until is not None:
        last = min(last, periods.month_of(until))
    first = periods.add_months(last, -(months - 1))
    contracts = [c for c in all_contracts().values() if c.department == department]
    found = _batches(conn, contracts, first, last)
    return [
        judge(c, month, _files(found, c, month), now)
        for month in reversed(periods.months_between(first, last))
        for c in sorted(contracts, key=lambda c: c.dataset)
    ]


def log_calendar(rows: list[Submission]) -> None:
    """The calendar in a task log, by department: what to chase is a warning."""
    for r in rows:
        level = logging.WARNING if r.state in TO_CHASE - {"due"} else logging.INFO
        log.log(level, "%s %s %s: %s %s", r.department, r.dataset, r.period, r.state.upper(), r.action)
    counts = {state: sum(r.state == state for r in rows) for state in STATES}
    log.info("submission calendar: %s", ", ".join(f"{n} {state}" for state, n in counts.items() if n))
