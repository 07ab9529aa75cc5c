"""Who may see what: least-privilege roles, and row-level security by department.

Roles (NOLOGIN groups; people and services get LOGIN users that are members of one):
- `cityops_loader` writes raw and audit (the ingest); `cityops_transformer` reads them and
  builds the marts (dbt); `cityops_reporting` reads marts only. dbt grants them on the
  marts (dbt_project/macros/roles.sql); `cityops warehouse grants` creates them too, so the
  order does not matter.
- `cityops_dept_<code>`, one per department in dbt_project/seeds/ref_departments.csv, all
  members of `cityops_departments`, which may SELECT raw and audit tables. Row-level
  security then shows a department's account only the rows of its own datasets (the
  contracts' `department`): `audit.dataset_access` maps each dataset to its department's
  role, and `audit.sees_dataset(dataset)` answers for the current role.

Row-level security is switched on by every load for its raw table (`ensure_row_security`),
so a new dataset is never readable by departments before its policy exists. The owner
of the tables (the service account that loads) and superusers are not subject to it.
"""

from __future__ import annotations

import csv
import logging

import psycopg
from psycopg import sql

from cityops.contracts import Contract, all_contracts
from cityops.settings import seeds_dir

log = logging.getLogger("cityops.access")

SERVICE_ROLES = ("cityops_loader", "cityops_transformer", "cityops_reporting")
DEPARTMENTS = "cityops_departments"
SEES_ALL = ("cityops_loader", "cityops_transformer")
AUDIT_TABLES = ("ingest_batches", "validation_results")
LOCK = 727001  # the same advisory lock as schema.py: DDL on the warehouse's own tables queues

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


def department_role(code: str) -> str:
    return f"cityops_dept_{code}"


def department_codes() -> dict[str, str]:
    """Department name (as the contracts spell it) -> code, from the departments seed."""
    with (seeds_dir() / "ref_departments.csv").open(encoding="utf-8") as fh:
        return {row["department_name"]: row["department_code"] for row in csv.DictReader(fh)}


def role_of(contract: Contract, codes: dict[str, str] | None = None) -> str | None:
    code = (codes if codes is not None else department_codes()).get(contract.department)
    return department_role(code) if code else None


def _create_role(conn: psycopg.Connection, role: str) -> None:
    conn.execute(
        sql.SQL(
            "do $$ begin if not exists (select from pg_roles where rolname = {}) then create role {} nologin; "
            "end if; exception when duplicate_object then null; end $$"
        ).format(sql.Literal(role), sql.Identifier(role))
    )


def ensure_roles(conn: psycopg.Connection) -> list[str]:
    """Create the service, departments and per-department roles if missing; their names."""
    roles = [*SERVICE_ROLES, DEPARTMENTS]
    for role in roles:
        _create_role(conn, role)
    for code in sorted(set(department_codes().values())):
        role = department_role(code)
        _create_role(conn, role)
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(DEPARTMENTS), sql.Identifier(role)))
        roles.append(role)
    return roles


def _has_policy(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select 1 from pg_policies where schemaname = %s and tablename = %s and policyname = 'dataset_rows'",
            (schema, table),
        ).fetchone()
    )


def _secure(conn: psycopg.Connection, schema: str, table: str, rows_of: sql.Composable) -> None:
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


def _ensure_objects(conn: psycopg.Connection, *, replace: bool) -> None:
    conn.execute(_MAPPING)
    if replace or not conn.execute("select to_regprocedure('audit.sees_dataset(text)')").fetchone()[0]:
        conn.execute(_FUNCTION)
    for table in AUDIT_TABLES:
        _secure(conn, "audit", table, sql.SQL("audit.sees_dataset(dataset)"))


def _map(conn: psycopg.Connection, contract: Contract, codes: dict[str, str]) -> None:
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


def ensure_row_security(conn: psycopg.Connection, contract: Contract) -> None:
    """Called by every load, inside schema.ensure_schema's transaction: RLS on its raw table."""
    _ensure_objects(conn, replace=False)
    _map(conn, contract, department_codes())
    rows_of = sql.SQL("(select audit.sees_dataset({}))").format(sql.Literal(contract.dataset))
    _secure(conn, "raw", contract.dataset, rows_of)


def apply_grants(conn: psycopg.Connection) -> dict[str, object]:
    """`cityops warehouse grants`: roles, least-privilege grants and RLS for every dataset."""
    from cityops.load.schema import ensure_audit, ensure_raw_table

    roles = ensure_roles(conn)
    contracts = all_contracts()
    codes = department_codes()
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK,))
        ensure_audit(conn)
        _ensure_objects(conn, replace=True)
        for contract in contracts.values():
            ensure_raw_table(conn, contract)
            _map(conn, contract, codes)
            rows_of = sql.SQL("(select audit.sees_dataset({}))").format(sql.Literal(contract.dataset))
            _secure(conn, "raw", contract.dataset, rows_of)
        conn.execute(_GRANTS)
    return {
        "roles": roles,
        "datasets": {c.dataset: role_of(c, codes) for c in contracts.values()},
    }


_GRANTS = f"""
create schema if not exists stage;
grant usage, create on schema raw, audit, stage to cityops_loader;
grant select, insert, update on all tables in schema raw, audit to cityops_loader;
grant all on all tables in schema stage to cityops_loader;
grant usage on schema raw, audit to cityops_transformer;
grant select on all tables in schema raw, audit to cityops_transformer;
revoke all on schema raw, audit, stage from cityops_reporting;
revoke all on all tables in schema raw, audit, stage from cityops_reporting;
grant usage on schema raw, audit to {DEPARTMENTS};
grant select on all tables in schema raw to {DEPARTMENTS};
grant select on audit.ingest_batches, audit.validation_results, audit.dataset_access to {DEPARTMENTS};
revoke all on schema stage from {DEPARTMENTS};
alter default privileges in schema raw grant select on tables to {DEPARTMENTS}, cityops_transformer;
alter default privileges in schema raw grant select, insert, update on tables to cityops_loader;
"""
