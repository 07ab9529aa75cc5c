"""The side schema `marts__next`: staged before dbt builds into it, swapped into `marts` after.

A partial build reads, in `marts__next`:
- an incremental mart fed by the datasets with new batches: a copy of the published table,
  which dbt then adds the new batches to. The incremental facts are published by the same
  swap as the rest, so a failing test leaves them as they were too;
- every other published mart: a view on it, a stand-in that dbt replaces if it builds that
  mart (never published; dropped with the schema).
A full build reads nothing of `marts`: it builds every mart in the side schema.

Which incremental marts the datasets feed is read from the last good build's manifest
(the same project, or a changed one whose selection dbt makes anyway), so staging needs no
parse of its own. The copy of a large fact (a year of tickets) is the slow part: it is
filled on its own connection while dbt starts (see BackgroundCopies).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

from cityops import locks
from cityops.load.warehouse import connect
from cityops.settings import Home

log = logging.getLogger("cityops.build")
MARTS, NEXT = "marts", "marts__next"
_DROP = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


def relations(conn, schema: str) -> dict[str, str]:
    rows = conn.execute(
        "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')",
        (schema,),
    ).fetchall()
    return dict(rows)


def create(conn, tested: list[str]) -> None:
    """An empty side schema, and `tested_batches`: the batches whose rows the tests marked
    `__new_batches__` skip (macros/new_batches.sql); never a mart, it goes with the schema."""
    conn.execute(f"drop schema if exists {NEXT} cascade")
    conn.execute(f"create schema {NEXT}")
    conn.execute(f"create table {NEXT}.tested_batches (batch_id uuid primary key)")
    with conn.cursor().copy(f"copy {NEXT}.tested_batches (batch_id) from stdin") as copy:
        for batch in tested:
            copy.write_row((batch,))


def empty_copy(conn, relation: str) -> None:
    """`marts__next.<relation>`, empty, shaped as the published table.

    Autovacuum off until the swap: a VACUUM ANALYZE of the fresh copy, started while dbt's
    transaction adds to it, deadlocks with that transaction's COMMENT ON (the soak hit it
    in 2 builds of 3).
    """
    source, target = sql.Identifier(MARTS, relation), sql.Identifier(NEXT, relation)
    conn.execute(
        sql.SQL("create table {} (like {} including all excluding indexes) with (autovacuum_enabled = false)").format(
            target, source
        )
    )


def fill_copy(conn, relation: str) -> None:
    """The published table's rows and indexes (same names, so the model's `create index if
    not exists` post-hooks find them), and the statistics its lookups (month, batch) need."""
    source, target = sql.Identifier(MARTS, relation), sql.Identifier(NEXT, relation)
    conn.execute(sql.SQL("insert into {} select * from {}").format(target, source))
    indexes = conn.execute(
        "select indexdef from pg_indexes where schemaname = %s and tablename = %s", (MARTS, relation)
    ).fetchall()
    published_on = f" ON {MARTS}.{relation} "
    for (definition,) in indexes:
        if published_on in definition:  # else a quoted name: left to the model's post-hooks
            conn.execute(definition.replace(published_on, f" ON {NEXT}.{relation} ", 1))
    conn.execute(sql.SQL("analyze {} (month_start, batch_id)").format(target))


def likely_copies(state_dir: Path | None, datasets: list[str]) -> list[str]:
    """The incremental marts fed by these datasets in the last good build's manifest (none
    found: they are built whole, which is slower, not wrong)."""
    if not datasets or state_dir is None:
        return []
    try:
        data = json.loads((state_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    children, nodes = data.get("child_map", {}), data.get("nodes", {})
    todo = [f"source.cityops.raw.{dataset}" for dataset in datasets]
    found: list[str] = []  # in the order the graph reaches them: a fact before its rollups
    while todo:
        for child in children.get(todo.pop(0), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return [
        nodes[uid].get("alias") or nodes[uid]["name"]
        for uid in found
        if uid in nodes
        and nodes[uid].get("resource_type") == "model"
        and nodes[uid].get("schema") == NEXT
        and nodes[uid].get("config", {}).get("materialized") == "incremental"
    ]


class BackgroundCopies:
    """Copies of published incremental marts, filled on their own connection while dbt starts.

    Each copy is created empty (so dbt finds a table: an incremental run) and locked
    before dbt starts; it is then filled in one transaction and unlocked. The model that
    reads it first waits for the lock (macros/unseen_batches.sql), so nothing reads it half
    filled; a fill that fails leaves it empty, and dbt then builds it whole.
    """

    def __init__(self, home: Home, names: list[str]):
        self.names: list[str] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(home, names), name="stage-copies", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def _run(self, home: Home, names: list[str]) -> None:
        try:
            with connect(home) as conn:
                published = relations(conn, MARTS)
                for name in names:
                    if published.get(name) in ("r", "p"):
                        empty_copy(conn, name)
                        locks.lock_staged_copy(conn, f"{NEXT}.{name}")
                        self.names.append(name)
                self._ready.set()
                for name in self.names:
                    started = time.monotonic()
                    try:
                        with conn.transaction():
                            fill_copy(conn, name)
                        log.info("staged %s.%s in %.1f s", NEXT, name, time.monotonic() - started)
                    except psycopg.Error as error:
                        log.warning("could not copy marts.%s (%s): dbt builds it whole", name, error)
                    finally:
                        locks.unlock_staged_copy(conn, f"{NEXT}.{name}")
        except BaseException as error:  # raised in the build's thread if dbt has not started yet
            self._error = error
            log.warning("staging copies in %s stopped: %s", NEXT, error)
        finally:
            self._ready.set()

    def finish(self) -> None:
        """Before the side schema is dropped: the copies are done."""
        self._thread.join()


def stand_in(conn, *, partial: bool, copied: set[str]) -> None:
    """Before a partial build, every published mart not copied gets a view in `marts__next`:
    what the selected marts and their tests read of the marts the build does not select.
    dbt replaces the stand-in of a mart it builds (a selected incremental mart without a
    copy is then built whole, which is slower, not wrong). A full build reads nothing of `marts`.
    """
    if not partial:
        return
    for name in sorted(set(relations(conn, MARTS)) - copied):
        source, target = sql.Identifier(MARTS, name), sql.Identifier(NEXT, name)
        conn.execute(sql.SQL("create view {} as select * from {}").format(target, source))


def swap_in(conn, built: list[str]) -> None:
    """The marts this build made in `marts__next` replace their namesakes in `marts`, atomically.

    Relations move (ALTER ... SET SCHEMA): no copy, and their grants, comments and indexes go
    with them. The stand-ins of marts it did not build are dropped with `marts__next`.
    """
    with conn.transaction():
        _cancel_autovacuum_soon(conn)
        conn.execute(f"create schema if not exists {MARTS}")
        published = relations(conn, MARTS)
        made = relations(conn, NEXT)
        for name in built:
            if name in published:
                conn.execute(
                    sql.SQL("drop {} {} cascade").format(sql.SQL(_DROP[published[name]]), sql.Identifier(MARTS, name))
                )
            conn.execute(
                sql.SQL("alter {} {} set schema {}").format(
                    sql.SQL(_DROP[made[name]]), sql.Identifier(NEXT, name), sql.Identifier(MARTS)
                )
            )
            if made[name] in ("r", "p"):  # a copy staged with autovacuum off gets it back once published
                conn.execute(sql.SQL("alter table {} reset (autovacuum_enabled)").format(sql.Identifier(MARTS, name)))


def _cancel_autovacuum_soon(conn) -> None:
    """An autovacuum of a published table (one the last build swapped in) holds a lock that
    DROP waits for, until PostgreSQL cancels the autovacuum after `deadlock_timeout` (1 s by
    default): seen when a build follows the last by seconds. Ten milliseconds instead, for
    this transaction; the setting is a superuser's, so for another role the default."""
    try:
        with conn.transaction():
            conn.execute("set local deadlock_timeout = '10ms'")
    except psycopg.errors.InsufficientPrivilege:
        pass


def drop(conn) -> None:
    conn.execute(f"drop schema if exists {NEXT} cascade")
