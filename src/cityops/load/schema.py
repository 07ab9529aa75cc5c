"""The warehouse's own tables: audit, and one append-only raw table per contract.

DDL is derived from the contracts and applied idempotently before each load, so a new
dataset (or a new optional column) needs no migration script.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from cityops.contracts import Contract

BATCH_STATUSES = ("received", "current", "superseded", "rejected", "unchanged", "failed")

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
comment on table audit.ingest_batches is
    '每个上报文件一行：批次、状态（current/superseded/rejected…）、文件哈希 | One row per file received';
comment on table audit.validation_results is
    '每批次每项质量检查的结果 | One row per batch and data-quality check';
"""


def column_defs(contract: Contract) -> list[sql.Composable]:
    return [sql.SQL("{} {}").format(sql.Identifier(c.stored_name), sql.SQL(c.sql_type)) for c in contract.columns]


def ensure_audit(conn: psycopg.Connection) -> None:
    # Concurrent first loads race on CREATE ... IF NOT EXISTS; a lock makes them queue.
    conn.execute("select pg_advisory_xact_lock(727001)")
    conn.execute(AUDIT_DDL)


def ensure_raw_table(conn: psycopg.Connection, contract: Contract) -> None:
    table = sql.Identifier("raw", contract.dataset)
    conn.execute("select pg_advisory_xact_lock(727001)")
    conn.execute(
        sql.SQL(
            "create table if not exists {} (_batch_id uuid not null, {}, _row integer not null, "
            "_source_file text not null, _loaded_at timestamptz not null default now())"
        ).format(table, sql.SQL(", ").join(column_defs(contract)))
    )
    for col in contract.columns:
        conn.execute(
            sql.SQL("alter table {} add column if not exists {} {}").format(
                table, sql.Identifier(col.stored_name), sql.SQL(col.sql_type)
            )
        )
    conn.execute(
        sql.SQL("create index if not exists {} on {} (_batch_id)").format(
            sql.Identifier(f"{contract.dataset}_batch"), table
        )
    )
    conn.execute(
        sql.SQL("comment on table {} is {}").format(
            table, sql.Literal(f"{contract.title_zh} | {contract.title_en} — append-only, one batch per file")
        )
    )


def ensure_schema(conn: psycopg.Connection, contract: Contract) -> None:
    with conn.transaction():
        ensure_audit(conn)
        ensure_raw_table(conn, contract)
