"""Freshness: for one month, what each department sent, when, and what became of it.

A monthly dataset reports month M by the 10th of month M+1 (Asia/Shanghai, end of day).
For each dataset: received (any file for the month), late (the first file that loaded
came after the due date, or nothing loaded and the date has passed), missing (no file
at all), rejected (files came, none loaded), and the latest outcome. A snapshot dataset
(the beautiful-block register) is sent when it changes: it is never missing; the row
shows when it was last received and its latest outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from cityops.contracts import Contract, all_contracts

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE_DAY = 10
LOADED = ("current", "superseded")


def due_at(month: dt.date) -> dt.datetime:
    """The first moment a submission for `month` is late: the 11th of the next month, 00:00 Shanghai."""
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return dt.datetime.combine(following.replace(day=DUE_DAY + 1), dt.time(), SHANGHAI)


@dataclass
class DatasetStatus:
    department: str
    dataset: str
    title: str
    submission: str
    state: str  # loaded | late | rejected | missing | due | snapshot
    received: bool
    late: bool
    missing: bool
    rejected: bool
    files: int
    first_received_at: str | None
    last_received_at: str | None
    due_on: str | None  # the last day a file counts as on time
    latest_status: str | None
    latest_batch_id: str | None
    latest_errors: int | None
    latest_warnings: int | None
    current_rows: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def _batches(conn: psycopg.Connection, dataset: str, month: dt.date | None) -> list[tuple]:
    """The dataset's files (of one month, or all for a snapshot), newest first."""
    where, params = ("and period = %s", (dataset, month)) if month else ("", (dataset,))
    return conn.execute(
        "select batch_id::text, status, received_at, errors, warnings, rows from audit.ingest_batches "
        f"where dataset = %s {where} order by received_at desc, decided_at desc nulls first",
        params,
    ).fetchall()


def dataset_status(conn: psycopg.Connection, contract: Contract, month: dt.date, now: dt.datetime) -> DatasetStatus:
    snapshot = contract.submission == "snapshot"
    batches = _batches(conn, contract.dataset, None if snapshot else month)
    latest = batches[0] if batches else None
    loaded = [b for b in batches if b[1] in LOADED]
    current = next((b for b in batches if b[1] == "current"), None)
    deadline = None if snapshot else due_at(month)
    first_loaded = min((b[2] for b in loaded), default=None)
    missing = not batches and not snapshot
    rejected = bool(batches) and not loaded
    late = False
    if deadline is not None:
        late = first_loaded > deadline if first_loaded else now >= deadline
    if snapshot:
        state = "snapshot"
    elif missing:
        state = "missing" if now >= deadline else "due"
    elif rejected:
        state = "rejected"
    else:
        state = "late" if late else "loaded"
    return DatasetStatus(
        department=contract.department,
        dataset=contract.dataset,
        title=contract.title_zh,
        submission=contract.submission,
        state=state,
        received=bool(batches),
        late=late,
        missing=missing,
        rejected=rejected,
        files=len(batches),
        first_received_at=_iso(min((b[2] for b in batches), default=None)),
        last_received_at=_iso(latest[2]) if latest else None,
        due_on=(deadline.date() - dt.timedelta(days=1)).isoformat() if deadline else None,
        latest_status=latest[1] if latest else None,
        latest_batch_id=latest[0] if latest else None,
        latest_errors=latest[3] if latest else None,
        latest_warnings=latest[4] if latest else None,
        current_rows=current[5] if current else None,
    )


def month_status(conn: psycopg.Connection, month: dt.date, now: dt.datetime | None = None) -> list[DatasetStatus]:
    """One row per dataset, ordered by department then dataset."""
    from cityops.load.schema import ensure_audit

    with conn.transaction():
        ensure_audit(conn)  # a warehouse that has never loaded a file: everything is missing
    now = now or dt.datetime.now(SHANGHAI)
    rows = [dataset_status(conn, contract, month, now) for contract in all_contracts().values()]
    return sorted(rows, key=lambda r: (r.department, r.dataset))
