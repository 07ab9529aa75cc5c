"""The side schema `marts__next`: staged before dbt builds into it, swapped into `marts` after.

A partial build reads, in `marts__next`:
- a large incremental fact fed by the datasets with new batches (config meta
  `cityops_publish: merge`, macros/incremental_by_batch_month.sql): an empty table shaped as
  the published one, which dbt fills with the new batches' months only (a delta). The swap
  then merges it into the published fact: that fact's rows of those months, and of batches
  that no longer stand, are replaced by the delta's (see `merge_delta`). So a build of a new
  month costs the month, not the years of tickets before it. Only when the project is
  unchanged, and only for a fact every model reading it reads incrementally (its new
  batches' rows): else it is copied like the rest;
- any other incremental mart so fed: a copy of the published table, which dbt then adds the
  new batches to, filled on its own connection while dbt starts (see BackgroundCopies);
- every other published mart: a view on it, a stand-in that dbt replaces if it builds that
  mart (never published; dropped with the schema).
A full build reads nothing of `marts`: it builds every mart in the side schema.
Deltas, copies and rebuilt marts are published by one swap, so a failing test leaves the
incremental facts as they were too.

Which incremental marts the datasets feed is read from the last good build's manifest
(the same project, or a changed one whose selection dbt makes anyway), so staging needs no
parse of its own.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from cityops import locks
from cityops.errors import BuildFailed
from cityops.load.warehouse import connect, relation_exists
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
    """An empty side schema, and its bookkeeping (never a mart, it goes with the schema):
    - `tested_batches`: the batches whose rows the tests marked `__new_batches__` skip
      (macros/new_batches.sql);
    - `deltas`: the facts staged as deltas, with the table's oid (a mart dbt dropped and
      built whole since is swapped in, not merged; macros/merged_at_publish.sql);
    - `retired_batches`: the batches that no longer stood when the build started, whose
      rows a merge removes from a published fact (as keep_current_batches does in a copy)."""
    conn.execute(f"drop schema if exists {NEXT} cascade")
    conn.execute(f"create schema {NEXT}")
    conn.execute(f"create table {NEXT}.deltas (relation text primary key, table_oid oid not null)")
    conn.execute(f"create table {NEXT}.retired_batches (batch_id uuid primary key)")
    if relation_exists(conn, "audit.ingest_batches"):  # else nothing was ever loaded
        conn.execute(
            f"insert into {NEXT}.retired_batches select batch_id from audit.ingest_batches where status <> 'current'"
        )
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


@dataclass
class Staging:
    """The incremental marts a partial build stages: merged as deltas, or copied whole."""

    deltas: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)


def plan_staging(state_dir: Path | None, datasets: list[str], *, deltas_allowed: bool) -> Staging:
    """The incremental marts fed by these datasets in the last good build's manifest (none
    found: they are built whole, which is slower, not wrong), in the order the graph reaches
    them (a fact before its rollups). A fact marked `cityops_publish: merge` is a delta when
    `deltas_allowed` (the project is the manifest's) and every model reading it is incremental:
    a model that read the whole fact would see only the delta."""
    staging = Staging()
    if not datasets or state_dir is None:
        return staging
    try:
        data = json.loads((state_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return staging
    children, nodes = data.get("child_map", {}), data.get("nodes", {})

    def incremental(uid: str) -> bool:
        node = nodes.get(uid, {})
        return node.get("schema") == NEXT and node.get("config", {}).get("materialized") == "incremental"

    def models(uids: list[str]) -> list[str]:
        return [uid for uid in uids if nodes.get(uid, {}).get("resource_type") == "model"]

    todo = [f"source.cityops.raw.{dataset}" for dataset in datasets]
    found: list[str] = []
    while todo:
        for child in children.get(todo.pop(0), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    for uid in models(found):
        if not incremental(uid):
            continue
        node = nodes[uid]
        name = node.get("alias") or node["name"]
        merge = node.get("config", {}).get("meta", {}).get("cityops_publish") == "merge"
        if deltas_allowed and merge and all(incremental(reader) for reader in models(children.get(uid, []))):
            staging.deltas.append(name)
        else:
            staging.copies.append(name)
    return staging


def stage_deltas(conn, names: list[str]) -> list[str]:
    """The empty deltas of these published facts (one not published yet is built whole)."""
    published = relations(conn, MARTS)
    staged = []
    for name in names:
        if published.get(name) == "r":
            empty_copy(conn, name)
            conn.execute(
                f"insert into {NEXT}.deltas (relation, table_oid) values (%s, %s::regclass)",
                (name, f"{NEXT}.{name}"),
            )
            staged.append(name)
    return staged


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

    A delta is merged into its published fact first (readers are not blocked by it). Other
    relations move (ALTER ... SET SCHEMA): no copy, and their grants, comments and indexes go
    with them. The stand-ins of marts it did not build are dropped with `marts__next`.
    """
    with conn.transaction():
        _cancel_autovacuum_soon(conn)
        conn.execute(f"create schema if not exists {MARTS}")
        deltas = unchanged_deltas(conn)
        for name in built:
            if name in deltas:
                merge_delta(conn, name)
        published = relations(conn, MARTS)
        made = relations(conn, NEXT)
        for name in built:
            if name in deltas:
                continue
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


def unchanged_deltas(conn) -> set[str]:
    """The deltas still the tables staged (dbt did not drop one and build it whole)."""
    rows = conn.execute(
        f"select d.relation from {NEXT}.deltas d where to_regclass(%s || quote_ident(d.relation)) = d.table_oid",
        (f"{NEXT}.",),
    ).fetchall()
    return {name for (name,) in rows}


def _columns(conn, schema: str, name: str) -> list[str]:
    rows = conn.execute(
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped "
        "order by attnum",
        (f"{schema}.{name}",),
    ).fetchall()
    return [column for (column,) in rows]


def merge_delta(conn, name: str) -> None:
    """The published fact takes the delta's months: its rows of those months, of batches that
    no longer stand (`retired_batches`) and without a batch go; the delta's rows come in.
    The month and batch are looked up in the fact's indexes, as arrays (a bitmap OR), not
    a scan of every month. The tests of the whole fact read the same rows before the swap
    (macro as_published, macros/merged_at_publish.sql): a change here is a change there."""
    columns = _columns(conn, MARTS, name)
    if _columns(conn, NEXT, name) != columns:
        raise BuildFailed(
            f"{NEXT}.{name} no longer has the columns of marts.{name}: nothing was published. "
            "Run `cityops build --full-refresh` to rebuild it whole."
        )
    published, delta = sql.Identifier(MARTS, name), sql.Identifier(NEXT, name)
    months = [m for (m,) in conn.execute(sql.SQL("select distinct month_start from {}").format(delta))]
    conn.execute(
        sql.SQL(
            "delete from {} where month_start = any(%s::date[]) or batch_id is null "
            "or batch_id = any(array(select batch_id from {}))"
        ).format(published, sql.Identifier(NEXT, "retired_batches")),
        (months,),
    )
    listed = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    conn.execute(sql.SQL("insert into {} ({}) select {} from {}").format(published, listed, listed, delta))


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
