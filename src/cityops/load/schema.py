"""The warehouse's own tables: audit, and one append-only raw table per contract.

DDL is derived from the contracts and applied idempotently before each load, so a new
dataset (or a new optional column) needs no migration script.
"""

from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql

from cityops import locks
from cityops.contracts import Contract
from cityops.load.row_security import ensure_row_security

BATCH_STATUSES = ("received", "current", "superseded", "rejected", "unchanged", "failed", "withdrawn")

AUDIT_DDL = f"""
create schema if not exists raw;
create schema if not exists audit;
create schema if not exists stage;
create table if not exists audit.ingest_batches (
    batch_id      uuid primary key,
    dataset       text not null,
    period        date not null,
    status        text not null check (status in ({", ".join(f"'{s}'" for s in BATCH_STATUSES)})),
    rows          integer,
    file_sha256   text not null,
    source_file   text not null,
    stored_file   text,
    received_at   timestamptz not null default now(),
    decided_at    timestamptz,
    superseded_by uuid,
    errors        integer not null default 0,
    warnings      integer not null default 0,
    message       text,
    report        jsonb
);
create unique index if not exists ingest_batches_one_current
    on audit.ingest_batches (dataset, period) where status = 'current';
create index if not exists ingest_batches_dataset_period on audit.ingest_batches (dataset, period);
create table if not exists audit.validation_results (
    batch_id       uuid not null,
    dataset        text not null,
    period         date not null,
    expectation    text not null,
    rule           text not null,
    column_name    text,
    severity       text not null,
    success        boolean not null,
    observed_value text,
    failing_rows   bigint not null default 0,
    checked_at     timestamptz not null default now()
);
create index if not exists validation_results_batch on audit.validation_results (batch_id);
-- The department that sent the file, so BI can chart quality by department without the contracts.
alter table audit.validation_results add column if not exists department text;
-- When a file taken from landing/ was put there: the department sent it then, not when it was picked up.
alter table audit.ingest_batches add column if not exists landed_at timestamptz;
-- A withdrawn batch (cityops withdraw): who took it back, why and when. Its rows stay in raw.
alter table audit.ingest_batches add column if not exists withdrawn_at timestamptz;
alter table audit.ingest_batches add column if not exists withdrawn_by text;
alter table audit.ingest_batches add column if not exists withdrawn_reason text;
-- A warehouse made before a status was added gets the wider check (once: it scans the table).
do $$
begin
    if not exists (
        select 1 from pg_constraint
        where conrelid = 'audit.ingest_batches'::regclass and conname = 'ingest_batches_status_check'
          and pg_get_constraintdef(oid) like '%withdrawn%'
    ) then
        alter table audit.ingest_batches drop constraint if exists ingest_batches_status_check;
        alter table audit.ingest_batches add constraint ingest_batches_status_check
            check (status in ({", ".join(f"'{s}'" for s in BATCH_STATUSES)}));
    end if;
end
$$;
-- One row per build that published the marts: the state they were built from, committed in
-- the same transaction as the marts, so the next build plans from the warehouse itself,
-- whichever machine (CITYOPS_HOME) runs it (transform/freshness.py).
create table if not exists audit.mart_builds (
    build_id        bigserial primary key,
    published_at    timestamptz not null default now(),
    reason          text not null,
    project         text not null,
    batches         jsonb not null,
    current_batches uuid[] not null,
    relations       text[] not null,
    published       text[] not null,
    forgotten       boolean not null default false
);
comment on table audit.mart_builds is
    '每次发布主题库的构建一行：依据的批次与项目版本 | One row per build that published the marts';
comment on column audit.mart_builds.project is 'dbt 项目文件摘要 | digest of the dbt project the marts were built with';
comment on column audit.mart_builds.batches is
    '各数据集已发布批次数与最后决定时间 | per dataset: published batches and the last decision time';
comment on column audit.mart_builds.current_batches is '构建开始时的现行批次 | the batches current when it started';
comment on column audit.mart_builds.relations is '构建后存在的关系 | the relations the build left';
comment on column audit.mart_builds.published is '本次发布的主题表 | the marts this build published';
comment on column audit.mart_builds.forgotten is
    '为真时下一次构建重建全部 | true: the next build builds everything (cityops_dev bench, a restore)';
comment on table audit.ingest_batches is
    '每个上报文件一行：批次、状态（current/superseded/rejected…）、文件哈希 | One row per file received';
comment on table audit.validation_results is
    '每批次每项质量检查的结果 | One row per batch and data-quality check';
"""


# The departments' portal (cityops.portal): its accounts, sessions and uploads, and what
# people did there (who, when, what), in `audit` beside the batches they caused.
PORTAL_DDL = """
create schema if not exists portal;
create schema if not exists audit;
create table if not exists portal.accounts (
    username            text primary key,
    department          text not null,
    role                text not null check (role in ('clerk', 'admin')),
    password_hash       text not null,
    must_change         boolean not null default true,
    disabled            boolean not null default false,
    failed_logins       integer not null default 0,
    locked_until        timestamptz,
    created_at          timestamptz not null default now(),
    password_changed_at timestamptz
);
create table if not exists portal.sessions (
    token_sha256 text primary key,
    username     text not null references portal.accounts (username) on delete cascade,
    csrf_token   text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null
);
create table if not exists portal.uploads (
    upload_id   uuid primary key,
    username    text not null,
    department  text not null,
    dataset     text not null,
    period      date not null,
    file_name   text not null,
    file_sha256 text,
    size_bytes  bigint not null,
    kept_file   text not null,
    state       text not null check (state in ('queued', 'running', 'done', 'failed')),
    step        text,
    batch_id    uuid,
    status      text,
    rows        integer,
    answer      jsonb,
    error       text,
    created_at  timestamptz not null default now(),
    finished_at timestamptz
);
create index if not exists uploads_dataset_period on portal.uploads (dataset, period, created_at);
create table if not exists audit.portal_events (
    event_id   bigserial primary key,
    at         timestamptz not null default now(),
    username   text,
    department text,
    action     text not null,
    target     text,
    detail     jsonb
);
comment on table portal.accounts is '部门门户账号（口令仅存 argon2 哈希） | portal accounts, argon2 hashes only';
comment on table portal.uploads is
    '门户每次上传一行：谁、何时、哪个文件、结果 | one row per file sent through the portal';
comment on table audit.portal_events is '门户登录、上传、下载记录 | every portal login, upload and download';
"""


def column_defs(contract: Contract) -> list[sql.Composable]:
    return [sql.SQL("{} {}").format(sql.Identifier(c.stored_name), sql.SQL(c.sql_type)) for c in contract.columns]


def _run_once(
    conn: psycopg.Connection, ddl: str, marker_schema: str, schemas: tuple[str, ...], tables: tuple[str, ...]
) -> None:
    """Run `ddl` unless this very text already ran here: its digest is the comment of `marker_schema`.

    ALTER TABLE ... IF NOT EXISTS and CREATE INDEX IF NOT EXISTS lock a table that is in use even
    when they change nothing, and so deadlock with a load publishing at that moment (ten clerks
    uploading at once found it). An up-to-date warehouse runs no DDL and takes no table lock.
    """
    # Concurrent first loads race on CREATE ... IF NOT EXISTS; a lock makes them queue.
    locks.lock_schema(conn)
    marker = f"cityops schema {hashlib.sha256(ddl.encode()).hexdigest()[:16]}"
    current = conn.execute(
        "select obj_description(to_regnamespace(%s), 'pg_namespace') = %s"
        " and (select bool_and(to_regnamespace(s) is not null) from unnest(%s::text[]) s)"
        " and (select bool_and(to_regclass(t) is not null) from unnest(%s::text[]) t)",
        (marker_schema, marker, list(schemas), list(tables)),
    ).fetchone()[0]
    if current:
        return
    conn.execute(ddl)
    conn.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(marker_schema), sql.Literal(marker)))


def ensure_audit(conn: psycopg.Connection) -> None:
    _run_once(
        conn,
        AUDIT_DDL,
        "audit",
        ("raw", "audit", "stage"),
        ("audit.ingest_batches", "audit.validation_results", "audit.mart_builds"),
    )


def ensure_portal(conn: psycopg.Connection) -> None:
    """The portal's tables (accounts, sessions, uploads) and its audit trail."""
    _run_once(
        conn,
        PORTAL_DDL,
        "portal",
        ("portal", "audit"),
        ("portal.accounts", "portal.sessions", "portal.uploads", "audit.portal_events"),
    )


def _relkind(conn: psycopg.Connection, schema: str, name: str) -> str | None:
    row = conn.execute(
        "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s",
        (schema, name),
    ).fetchone()
    return row[0] if row else None


def ensure_raw_table(conn: psycopg.Connection, contract: Contract) -> None:
    """raw.<dataset>: partitioned by batch, so publishing a batch attaches its staged table
    (no copy of the rows) and a batch is, physically, one table in `raw_batches`."""
    table = sql.Identifier("raw", contract.dataset)
    locks.lock_schema(conn)
    comment = f"{contract.title_zh} | {contract.title_en} — append-only, one partition per batch"
    if _raw_table_current(conn, contract, comment):
        return  # ALTER on a table in use would lock out a concurrent publish (see _run_once)
    conn.execute("create schema if not exists raw_batches")
    legacy = None
    if _relkind(conn, "raw", contract.dataset) == "r":  # a plain raw table of an earlier version
        legacy = sql.Identifier("raw_batches", f"{contract.dataset}__legacy")
        conn.execute(sql.SQL("alter table {} rename to {}").format(table, sql.Identifier(legacy._obj[1])))
        conn.execute(sql.SQL("alter table {} set schema raw_batches").format(sql.Identifier("raw", legacy._obj[1])))
    conn.execute(
        sql.SQL(
            "create table if not exists {} (_batch_id uuid not null, {}, _row integer not null, "
            "_source_file text not null, _loaded_at timestamptz not null default now()) "
            "partition by list (_batch_id)"
        ).format(table, sql.SQL(", ").join(column_defs(contract)))
    )
    for target in (legacy, table) if legacy is not None else (table,):
        for col in contract.columns:  # a contract may add optional columns over time
            conn.execute(
                sql.SQL("alter table {} add column if not exists {} {}").format(
                    target, sql.Identifier(col.stored_name), sql.SQL(col.sql_type)
                )
            )
    if legacy is not None:  # its rows stay readable, untouched, as the default partition
        conn.execute(sql.SQL("alter table {} attach partition {} default").format(table, legacy))
    conn.execute(sql.SQL("comment on table {} is {}").format(table, sql.Literal(comment)))


def _raw_table_current(conn: psycopg.Connection, contract: Contract, comment: str) -> bool:
    """raw.<dataset> is partitioned, has every column of the contract and its comment."""
    row = conn.execute(
        "select c.relkind = 'p' and obj_description(c.oid, 'pg_class') = %s"
        " and (select count(*) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0"
        "      and not a.attisdropped and a.attname = any(%s)) = %s"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'raw' and c.relname = %s",
        (comment, [c.stored_name for c in contract.columns], len(contract.columns), contract.dataset),
    ).fetchone()
    return bool(row and row[0])


def ensure_schema(conn: psycopg.Connection, contract: Contract) -> None:
    with conn.transaction():
        ensure_audit(conn)
        ensure_raw_table(conn, contract)
        ensure_row_security(conn, contract)  # departments see only their own rows
