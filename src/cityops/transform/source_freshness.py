"""Source freshness by reporting month: is each monthly dataset's newest current month late?

A month's rows are as fresh as the end of the month they report, and never fresher than
the moment they were loaded: `least(_loaded_at, end of the period)`. (Loaded time alone
would call a source fresh the day a backfill loads a month from years ago.) Only current
batches count: a superseded or withdrawn batch's rows stay in raw but say nothing. The
newest current month holds the maximum (a month's file is not loaded before an earlier
month has ended), so `check` reads that one partition only.

Month M is due by the 10th of M+1 (cityops.periods.DUE_DAY). So a source warns when its
newest month ended more than a month and the due days ago (M+1 should have arrived), and
errs a month after that. The generated dbt sources carry the same rule
(`dbt source freshness`), and `cityops status` and the month close's summary list the
sources that are stale now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import psycopg
from psycopg import sql

from cityops import periods
from cityops.contracts import Contract, all_contracts
from cityops.load.warehouse import relation_exists

WARN_DAYS = 31 + periods.DUE_DAY  # the next month is overdue
ERROR_DAYS = WARN_DAYS + 31  # and the one after it too
# The reporting month is the batch's (audit.ingest_batches.period): the ticket extracts have no
# period column, and for the others it equals the batch's (the contracts' equals_period rule).
LOADED_AT = (
    "least(_loaded_at, (select (batches.period + interval '1 month')::timestamp at time zone 'Asia/Shanghai' "
    "from audit.ingest_batches as batches where batches.batch_id = _batch_id))"
)
CURRENT_ONLY = "_batch_id in (select batch_id from audit.ingest_batches where status = 'current')"
STATE_WORDS = {
    "fresh": ("及时", "fresh"),
    "warn": ("滞后", "stale: the next month is overdue"),
    "error": ("严重滞后", "stale: two months overdue"),
    "no_data": ("无数据", "no data loaded"),
}


def monitored(contract: Contract) -> bool:
    """Monthly extracts only: a register sent when it changes (a snapshot) is never owed."""
    return contract.submission == "monthly"


def dbt_config(contract: Contract) -> dict | None:
    """The `config:` of the dataset's dbt source table: loaded_at_field and freshness."""
    if not monitored(contract):
        return None
    return {
        "loaded_at_field": LOADED_AT,
        "freshness": {
            "warn_after": {"count": WARN_DAYS, "period": "day"},
            "error_after": {"count": ERROR_DAYS, "period": "day"},
            "filter": CURRENT_ONLY,
        },
    }


@dataclass(frozen=True)
class SourceFreshness:
    dataset: str
    newest_month: str | None  # YYYY-MM of the newest current batch
    fresh_as_of: str | None  # least(loaded, end of that month), ISO
    age_days: float | None
    state: str  # fresh | warn | error | no_data

    @property
    def stale(self) -> bool:
        return self.state in ("warn", "error")

    def to_json(self) -> dict:
        zh, en = STATE_WORDS[self.state]
        return {**asdict(self), "stale": self.stale, "message_zh": zh, "message_en": en}


def check(conn: psycopg.Connection, now: dt.datetime | None = None) -> list[SourceFreshness]:
    """Every monthly dataset's freshness as of `now` (default: now, Shanghai)."""
    now = now or periods.now()
    audited = relation_exists(conn, "audit.ingest_batches")
    found = []
    for contract in all_contracts().values():
        if not monitored(contract):
            continue
        if not audited:
            found.append(_judge(contract.dataset, None, None, now))
            continue
        newest = conn.execute(
            "select batch_id, period from audit.ingest_batches where dataset = %s and status = 'current' "
            "order by period desc limit 1",
            (contract.dataset,),
        ).fetchone()
        row = (None, None)
        if newest:  # the newest month's partition holds the maximum (see the module's docstring)
            fresh = conn.execute(
                sql.SQL("select max({}) from {} where _batch_id = %s").format(
                    sql.SQL(LOADED_AT), sql.Identifier("raw", contract.dataset)
                ),
                (newest[0],),
            ).fetchone()[0]
            row = (newest[1], fresh)
        found.append(_judge(contract.dataset, row[0], row[1], now))
    return found


def _judge(dataset: str, newest: dt.date | None, fresh_as_of: dt.datetime | None, now: dt.datetime) -> SourceFreshness:
    if fresh_as_of is None:
        return SourceFreshness(dataset, None, None, None, "no_data")
    age = (now - fresh_as_of).total_seconds() / 86400
    state = "error" if age > ERROR_DAYS else "warn" if age > WARN_DAYS else "fresh"
    return SourceFreshness(dataset, f"{newest:%Y-%m}", fresh_as_of.isoformat(), round(age, 1), state)


def stale(conn: psycopg.Connection, now: dt.datetime | None = None) -> list[dict]:
    """The stale sources as JSON (empty when all are fresh or never loaded)."""
    return [f.to_json() for f in check(conn, now) if f.stale]
