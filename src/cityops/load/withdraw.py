"""Withdrawing a batch: a department takes back a month it sent, without sending another.

The month's current batch becomes `withdrawn`, with who asked, why and when, under the
same advisory lock as a publish of that month. Its rows stay in raw (append-only, the
evidence), but no staging model reads them any more: at the next build the month has no
rows in any fact (the incremental facts drop the rows of batches that are no longer
current), and `marts.fct_batch_withdrawals` shows the withdrawal. A file sent later for the
month loads as usual and becomes current.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass

from cityops import locks
from cityops.errors import UsageError
from cityops.load.schema import ensure_audit
from cityops.load.warehouse import connect
from cityops.settings import Home


@dataclass(frozen=True)
class Withdrawal:
    batch_id: str
    dataset: str
    period: str
    rows: int
    withdrawn_by: str
    reason: str
    withdrawn_at: str

    def to_json(self) -> dict:
        return {"status": "withdrawn", **asdict(self)}


def withdraw(
    dataset: str,
    month: dt.date,
    *,
    reason: str,
    by: str,
    batch_id: str | None = None,
    home: Home | None = None,
) -> Withdrawal:
    """Withdraw the current batch of (dataset, month); `batch_id`, when given, must be that batch."""
    reason, by = reason.strip(), by.strip()
    if not reason or not by:
        raise UsageError("a withdrawal needs who asks for it (--by) and why (--reason)")
    if batch_id is not None:
        try:
            batch_id = str(uuid.UUID(batch_id))
        except ValueError:
            raise UsageError(f"--batch must be a batch id (a UUID), not '{batch_id}'") from None
    with connect(home or Home.from_env()) as conn:
        ensure_audit(conn)
        with conn.transaction():
            locks.lock_month(conn, dataset, month)
            row = conn.execute(
                "update audit.ingest_batches set status = 'withdrawn', withdrawn_at = now(), withdrawn_by = %s, "
                "withdrawn_reason = %s, decided_at = now(), message = %s "
                "where dataset = %s and period = %s and status = 'current' "
                "and (%s::uuid is null or batch_id = %s::uuid) "
                "returning batch_id::text, coalesce(rows, 0), withdrawn_at",
                (by, reason, f"withdrawn by {by}: {reason}", dataset, month, batch_id, batch_id),
            ).fetchone()
    if row is None:
        which = f"batch {batch_id} is not the current batch" if batch_id else "there is no current batch"
        raise UsageError(
            f"{dataset} {month:%Y-%m}: {which}; nothing was withdrawn "
            f"(see: select batch_id, status from audit.ingest_batches where dataset = '{dataset}')"
        )
    return Withdrawal(row[0], dataset, f"{month:%Y-%m}", row[1], by, reason, row[2].isoformat())
