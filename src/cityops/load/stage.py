"""Staging: a batch's rows COPYed into a private table, where the gate checks them.

Nothing in `stage` is visible to the marts; a batch reaches `raw` only by `publish`.
COPY streams each chunk as it is read, so memory stays flat however long the file.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from cityops.contracts import Contract
from cityops.load.faults import checkpoint
from cityops.load.schema import column_defs


def stage_table(contract: Contract, batch_id: str) -> sql.Identifier:
    return sql.Identifier("stage", f"{contract.dataset}__{batch_id.replace('-', '')}")


def create_stage(conn: psycopg.Connection, contract: Contract, batch_id: str) -> sql.Identifier:
    table = stage_table(contract, batch_id)
    with conn.transaction():
        conn.execute("create schema if not exists stage")
        conn.execute(sql.SQL("drop table if exists {}").format(table))
        # UNLOGGED: a staged batch is rebuilt from its file, never recovered from WAL.
        conn.execute(
            sql.SQL("create unlogged table {} (_row integer not null, {})").format(
                table, sql.SQL(", ").join(column_defs(contract))
            )
        )
    return table


def copy_rows(conn: psycopg.Connection, table: sql.Identifier, contract: Contract, chunks: Iterable[list[list]]) -> int:
    """COPY every chunk into the stage table; the number of rows staged."""
    columns = sql.SQL(", ").join(sql.Identifier(n) for n in ["_row", *(c.stored_name for c in contract.columns)])
    staged = 0
    statement = sql.SQL("copy {} ({}) from stdin").format(table, columns)
    with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
        for chunk in chunks:
            for row in chunk:
                copy.write_row(row)
            staged += len(chunk)
            checkpoint("copy")
    return staged


def drop_stage(conn: psycopg.Connection, table: sql.Identifier) -> None:
    with conn.transaction():
        conn.execute(sql.SQL("drop table if exists {}").format(table))
