"""Write-audit-publish: the audit trail of a batch, and its atomic move into `raw`.

Publishing is one transaction under an advisory lock on (dataset, period): the rows are
appended to `raw.<dataset>`, the previous current batch becomes `superseded`, the new one
`current`. A crash before COMMIT leaves `raw` as it was; two loads of the same month
queue on the lock, and the second sees the first's result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from cityops import locks
from cityops.contracts import Contract
from cityops.load.checkpoints import reached
from cityops.load.stage import stage_name


@dataclass(frozen=True)
class CurrentBatch:
    batch_id: str
    file_sha256: str


def current_batch(conn: psycopg.Connection, dataset: str, period: dt.date) -> CurrentBatch | None:
    row = conn.execute(
        "select batch_id::text, file_sha256 from audit.ingest_batches "
        "where dataset = %s and period = %s and status = 'current'",
        (dataset, period),
    ).fetchone()
    return CurrentBatch(*row) if row else None


def record_received(
    conn: psycopg.Connection,
    batch_id: str,
    dataset: str,
    period: dt.date,
    sha256: str,
    source_file: str,
    landed_at: dt.datetime | None = None,
) -> None:
    """The first trace of a file, committed at once so a crash later still shows it.

    `landed_at`: when a file picked up from landing/ was put there (the submission calendar
    judges lateness by it), None for a file handed over directly.

    The session holds an advisory lock on the batch while it works: a later load that can
    take the lock knows this one died, and closes its audit row (see recover_interrupted).
    """
    with conn.transaction():
        conn.execute(
            "insert into audit.ingest_batches (batch_id, dataset, period, status, file_sha256, source_file, "
            "landed_at) values (%s, %s, %s, 'received', %s, %s, %s)",
            (batch_id, dataset, period, sha256, source_file, landed_at),
        )
    locks.lock_batch(conn, batch_id)


def recover_interrupted(conn: psycopg.Connection, dataset: str) -> list[str]:
    """Close the audit rows of loads whose process died before deciding; drop their stage."""
    closed = []
    rows = conn.execute(
        "select batch_id::text from audit.ingest_batches where dataset = %s and status = 'received'", (dataset,)
    ).fetchall()
    for (batch_id,) in rows:
        if not locks.try_lock_batch(conn, batch_id):
            continue  # still being worked on by a live process
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("stage", stage_name(dataset, batch_id))))
        conn.execute(
            "update audit.ingest_batches set status = 'failed', decided_at = now(), message = %s "
            "where batch_id = %s and status = 'received'",
            (
                "interrupted: the load stopped before a decision; nothing was published, the file can be sent again",
                batch_id,
            ),
        )
        locks.unlock_batch(conn, batch_id)
        closed.append(batch_id)
    return closed


def record_outcome(
    conn: psycopg.Connection,
    batch_id: str,
    status: str,
    *,
    rows: int | None = None,
    errors: int = 0,
    warnings: int = 0,
    message: str | None = None,
    report: dict | None = None,
    stored_file: str | None = None,
) -> None:
    with conn.transaction():
        conn.execute(
            "update audit.ingest_batches set status = %s, rows = coalesce(%s, rows), errors = %s, "
            "warnings = %s, message = %s, report = %s, stored_file = coalesce(%s, stored_file), "
            "decided_at = now() where batch_id = %s",
            (
                status,
                rows,
                errors,
                warnings,
                message,
                Jsonb(report) if report is not None else None,
                stored_file,
                batch_id,
            ),
        )


def set_stored_file(
    conn: psycopg.Connection, batch_id: str, stored_file: str, report_folder: str | None = None
) -> None:
    """Where a loaded file was kept, and (when it drew warnings) the folder of its reports."""
    with conn.transaction():
        conn.execute(
            "update audit.ingest_batches set stored_file = %s, report = case when %s::text is null then report "
            "else coalesce(report, '{}'::jsonb) || jsonb_build_object('report_folder', %s::text) end "
            "where batch_id = %s",
            (stored_file, report_folder, report_folder, batch_id),
        )


def publish(
    conn: psycopg.Connection,
    contract: Contract,
    batch_id: str,
    period: dt.date,
    sha256: str,
    stage: sql.Identifier,
    *,
    warnings: int = 0,
    report: dict | None = None,
) -> tuple[str, int]:
    """Attach the staged batch to raw and make it current: ('loaded' | 'unchanged', rows)."""
    with conn.transaction():
        locks.lock_month(conn, contract.dataset, period)
        previous = current_batch(conn, contract.dataset, period)
        if previous and previous.file_sha256 == sha256:
            # Another process loaded the very same file while we were checking it.
            conn.execute(
                "update audit.ingest_batches set status = 'unchanged', decided_at = now(), "
                "superseded_by = %s where batch_id = %s",
                (previous.batch_id, batch_id),
            )
            return "unchanged", 0
        inserted = conn.execute(sql.SQL("select count(*) from {}").format(stage)).fetchone()[0]
        # The staged table becomes the batch's partition of raw: no rows are copied.
        conn.execute(sql.SQL("alter table {} set schema raw_batches").format(stage))
        conn.execute(
            sql.SQL("alter table {} attach partition {} for values in ({})").format(
                sql.Identifier("raw", contract.dataset),
                sql.Identifier("raw_batches", stage._obj[1]),
                sql.Literal(batch_id),
            )
        )
        reached("publish")  # attached, not yet committed: a crash here must leave raw as it was
        if previous:
            conn.execute(
                "update audit.ingest_batches set status = 'superseded', superseded_by = %s where batch_id = %s",
                (batch_id, previous.batch_id),
            )
        conn.execute(
            "update audit.ingest_batches set status = 'current', rows = %s, warnings = %s, "
            "report = %s, decided_at = now() where batch_id = %s",
            (inserted, warnings, Jsonb(report) if report is not None else None, batch_id),
        )
    return "loaded", inserted
