"""The warehouse's roles, named here only: three services, and one per department.

NOLOGIN groups; people and services get LOGIN users that are members of one:
- `cityops_loader` writes raw and audit (the ingest); `cityops_transformer` reads them and
  builds the marts (dbt); `cityops_reporting` reads marts only (BI tools);
- `cityops_dept_<code>`, one per department in dbt_project/seeds/ref_departments.csv, all
  members of `cityops_departments`: each sees only its own datasets' rows (row_security.py).
Roles are cluster-wide: they are created when missing, by every load's grants and before
every dbt build, so the order in which things first run does not matter.
"""

from __future__ import annotations

import csv

import psycopg
from psycopg import sql

from cityops.contracts import Contract
from cityops.settings import seeds_dir

LOADER, TRANSFORMER, REPORTING = "cityops_loader", "cityops_transformer", "cityops_reporting"
SERVICE_ROLES = (LOADER, TRANSFORMER, REPORTING)
DEPARTMENTS = "cityops_departments"
SEES_ALL = (LOADER, TRANSFORMER)  # the services that work on every department's rows


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
