"""Every PostgreSQL advisory lock cityops takes, named and numbered here only.

- the warehouse's own DDL (audit, raw tables, grants, a restore): concurrent first loads
  race on CREATE ... IF NOT EXISTS, so they queue on one transaction lock;
- a dbt build: one at a time, since every build writes `marts__next`;
- a batch being worked on: held by the loading session for its whole life, so a later
  load that can take it knows the first one died (see load/publish.recover_interrupted);
- a dataset's month while its batch is published: two loads of one month queue, and the
  second sees the first's result;
- a copy staged in `marts__next` while it is filled (transform/side_schema.py): the model
  that reads it first waits (macros/unseen_batches.sql, with the same key and seed);
- a portal upload being worked on: held by its worker, so a portal that starts and resumes
  what a stopped one left skips the uploads a live worker still has (portal/jobs.py).
The keyed locks use different hash seeds, so a batch id never collides with a month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

SCHEMA_DDL = 727001
DBT_BUILD = 727002
_BATCH_SEED, _MONTH_SEED, _STAGED_COPY_SEED, _UPLOAD_SEED = 1, 0, 2, 3

# For scripts that run outside a psycopg session (the restore's psql prelude).
SCHEMA_DDL_SQL = f"select pg_advisory_xact_lock({SCHEMA_DDL});"


def lock_schema(conn: psycopg.Connection) -> None:
    """Queue behind any other DDL on the warehouse's own tables, until this transaction ends."""
    conn.execute("select pg_advisory_xact_lock(%s)", (SCHEMA_DDL,))


@contextmanager
def dbt_build_lock(conn: psycopg.Connection) -> Iterator[None]:
    """One dbt build at a time, for as long as the block runs."""
    conn.execute("select pg_advisory_lock(%s)", (DBT_BUILD,))
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (DBT_BUILD,))


def lock_batch(conn: psycopg.Connection, batch_id: str) -> None:
    """Held by the session loading `batch_id` until it ends (or unlocks)."""
    conn.execute("select pg_advisory_lock(hashtextextended(%s, %s))", (batch_id, _BATCH_SEED))


def try_lock_batch(conn: psycopg.Connection, batch_id: str) -> bool:
    """True when no live session holds the batch: whoever loaded it has died."""
    row = conn.execute("select pg_try_advisory_lock(hashtextextended(%s, %s))", (batch_id, _BATCH_SEED)).fetchone()
    return bool(row[0])


def unlock_batch(conn: psycopg.Connection, batch_id: str) -> None:
    conn.execute("select pg_advisory_unlock(hashtextextended(%s, %s))", (batch_id, _BATCH_SEED))


def lock_month(conn: psycopg.Connection, dataset: str, period: dt.date) -> None:
    """Queue behind any other publish of the same dataset and month, until this transaction ends."""
    key = f"cityops:{dataset}:{period.isoformat()}"
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, %s))", (key, _MONTH_SEED))


def lock_staged_copy(conn: psycopg.Connection, relation: str) -> None:
    """Held while `relation` (schema.name) is filled; its readers take it shared, and wait."""
    conn.execute("select pg_advisory_lock(hashtextextended(%s, %s))", (relation, _STAGED_COPY_SEED))


def unlock_staged_copy(conn: psycopg.Connection, relation: str) -> None:
    conn.execute("select pg_advisory_unlock(hashtextextended(%s, %s))", (relation, _STAGED_COPY_SEED))


def try_lock_upload(conn: psycopg.Connection, upload_id: str) -> bool:
    """Held by the session working on a portal upload until it ends; False: a live one has it."""
    row = conn.execute("select pg_try_advisory_lock(hashtextextended(%s, %s))", (upload_id, _UPLOAD_SEED)).fetchone()
    return bool(row[0])
