"""Row-level security by department: a department's account sees only its own datasets' rows.

`audit.dataset_access` maps each dataset to its department's role (from the contracts'
`department`), and `audit.sees_dataset(dataset)` answers for the current role; one policy
per raw and audit table asks it. Every load switches it on for its raw table
(`ensure_row_security`, from schema.ensure_schema), so a new dataset is never readable by
departments before its policy exists. The tables' owner (the service account that loads)
and superusers are not subject to it.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from cityops.contracts import Contract
from cityops.load.roles import SEES_ALL, department_codes, role_of

log = logging.getLogger("cityops.access")
AUDIT_TABLES = ("ingest_batches", "validation_results")
# Audit tables of no dataset (the record of the marts' builds): rows for the service roles only.
SERVICE_TABLES = ("mart_builds",)

_FUNCTION = f"""
create or replace function audit.sees_dataset(ds text) returns boolean
language sql stable set search_path = pg_catalog, pg_temp as $$
    select exists (
        select 1 from audit.dataset_access a join pg_roles r on r.rolname = a.department_role
        where a.dataset = ds and pg_has_role(current_user, r.oid, 'MEMBER')
    ) or exists (
        select 1 from pg_roles r
        where r.rolname in ({", ".join(f"'{r}'" for r in SEES_ALL)}) and pg_has_role(current_user, r.oid, 'MEMBER')
    )
$$;
comment on function audit.sees_dataset(text) is
    '当前角色可否查看该数据集（本部门或服务角色） | may the current role see this dataset''s rows';
"""
_MAPPING = """
create table if not exists audit.dataset_access (
    dataset         text primary key,
    department      text not null,
    department_role text not null
);
comment on table audit.dataset_access is
    '数据集归属部门及其数据库角色（行级安全用） | the department role that may read each dataset (row-level security)';
"""


def _has_policy(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select 1 from pg_policies where schemaname = %s and tablename = %s and policyname = 'dataset_rows'",
            (schema, table),
        ).fetchone()
    )


def secure(conn: psycopg.Connection, schema: str, table: str, rows_of: sql.Composable) -> None:
    """Row-level security on, and the one policy: a row is visible (and writable) to whoever sees its dataset."""
    ident = sql.Identifier(schema, table)
    enabled = conn.execute("select relrowsecurity from pg_class where oid = %s::regclass", (f'"{schema}"."{table}"',))
    if not enabled.fetchone()[0]:  # ALTER TABLE locks out readers: only when needed
        conn.execute(sql.SQL("alter table {} enable row level security").format(ident))
    if not _has_policy(conn, schema, table):
        conn.execute(
            sql.SQL("create policy dataset_rows on {} for all using ({}) with check ({})").format(
                ident, rows_of, rows_of
            )
        )


def ensure_objects(conn: psycopg.Connection, *, replace: bool) -> None:
    conn.execute(_MAPPING)
    if replace or not conn.execute("select to_regprocedure('audit.sees_dataset(text)')").fetchone()[0]:
        conn.execute(_FUNCTION)
    for table in AUDIT_TABLES:
        secure(conn, "audit", table, sql.SQL("audit.sees_dataset(dataset)"))
    for table in SERVICE_TABLES:  # no dataset is null's: only the roles that see every dataset pass
        secure(conn, "audit", table, sql.SQL("audit.sees_dataset(null)"))


def map_dataset(conn: psycopg.Connection, contract: Contract, codes: dict[str, str]) -> None:
    role = role_of(contract, codes)
    if role is None:
        log.warning("%s: department %r is not in ref_departments.csv; only services see it", contract.dataset,
                    contract.department)  # fmt: skip
        conn.execute("delete from audit.dataset_access where dataset = %s", (contract.dataset,))
        return
    conn.execute(
        "insert into audit.dataset_access (dataset, department, department_role) values (%s, %s, %s) "
        "on conflict (dataset) do update set department = excluded.department, "
        "department_role = excluded.department_role "
        "where (audit.dataset_access.department, audit.dataset_access.department_role) "
        "is distinct from (excluded.department, excluded.department_role)",
        (contract.dataset, contract.department, role),
    )


def secure_dataset(conn: psycopg.Connection, contract: Contract, codes: dict[str, str]) -> None:
    """The dataset's department mapped, and the policy on its raw table."""
    map_dataset(conn, contract, codes)
    rows_of = sql.SQL("(select audit.sees_dataset({}))").format(sql.Literal(contract.dataset))
    secure(conn, "raw", contract.dataset, rows_of)


def ensure_row_security(conn: psycopg.Connection, contract: Contract) -> None:
    """Called by every load, inside schema.ensure_schema's transaction: RLS on its raw table."""
    ensure_objects(conn, replace=False)
    secure_dataset(conn, contract, department_codes())
