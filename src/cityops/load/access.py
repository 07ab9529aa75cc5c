"""Grants: who may do what in the warehouse, written here only.

Every GRANT and REVOKE of the project is in this module, for every schema, the dbt ones
included: `cityops warehouse grants` applies them all with row-level security for every
dataset, and `grant_service_access` runs before every dbt build (transform/dbt.py), so
dbt's models only add the table-level `grants` their config names. The roles are in
roles.py, the department policies in row_security.py.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from cityops import locks
from cityops.contracts import all_contracts
from cityops.load.roles import DEPARTMENTS, REPORTING, TRANSFORMER, department_codes, ensure_roles, role_of
from cityops.load.row_security import ensure_objects, secure, secure_dataset
from cityops.load.schema import ensure_audit, ensure_portal, ensure_raw_table

LOADED_SCHEMAS = ("raw", "audit", "stage")
MODELLED_SCHEMAS = ("staging", "intermediate", "marts", "snapshots", "reference")  # dbt builds these

_LOADER_GRANTS = f"""
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


def grant_service_access(conn: psycopg.Connection) -> None:
    """The roles, and what the services may do in the schemas dbt builds: before every build.

    The transformer builds staging → marts; reporting (BI) reads marts and nothing else.
    Table-level SELECT on each mart comes with the table (the models' `grants` config).
    """
    ensure_roles(conn)
    with conn.transaction():
        locks.lock_schema(conn)
        for schema in MODELLED_SCHEMAS:
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            conn.execute(
                sql.SQL("grant usage, create on schema {} to {}").format(
                    sql.Identifier(schema), sql.Identifier(TRANSFORMER)
                )
            )
        conn.execute(sql.SQL("grant usage on schema marts to {}").format(sql.Identifier(REPORTING)))
        conn.execute(sql.SQL("grant select on all tables in schema marts to {}").format(sql.Identifier(REPORTING)))
        for schema in MODELLED_SCHEMAS:
            if schema != "marts":
                conn.execute(
                    sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), sql.Identifier(REPORTING))
                )


def apply_grants(conn: psycopg.Connection) -> dict[str, object]:
    """`cityops warehouse grants`: roles, least-privilege grants and RLS for every dataset."""
    roles = ensure_roles(conn)
    contracts = all_contracts()
    codes = department_codes()
    with conn.transaction():
        locks.lock_schema(conn)
        ensure_audit(conn)
        ensure_objects(conn, replace=True)
        for contract in contracts.values():
            ensure_raw_table(conn, contract)
            secure_dataset(conn, contract, codes)
        conn.execute(_LOADER_GRANTS)
    grant_service_access(conn)
    return {
        "roles": roles,
        "datasets": {c.dataset: role_of(c, codes) for c in contracts.values()},
    }


_PORTAL_GRANTS = f"""
revoke all on schema portal from {REPORTING}, {DEPARTMENTS};
grant usage on schema portal to {DEPARTMENTS}, {TRANSFORMER};
grant select on portal.uploads to {DEPARTMENTS}, {TRANSFORMER};
revoke all on portal.accounts, portal.sessions from {DEPARTMENTS}, {TRANSFORMER}, {REPORTING};
revoke all on audit.portal_events from {DEPARTMENTS}, {REPORTING};
"""


def grant_portal_access(conn: psycopg.Connection) -> None:
    """The portal's tables, and who may read them: a department's role reads its own uploads only.

    The portal reads a clerk's calendar, uploads and history as the department's role
    (`set local role`), so the warehouse refuses another department's rows even if the
    application asked for them. Accounts and sessions are the portal's own: no role reads them.
    """
    apply_grants(conn)
    with conn.transaction():
        locks.lock_schema(conn)
        ensure_portal(conn)
        secure(conn, "portal", "uploads", sql.SQL("audit.sees_dataset(dataset)"))
        conn.execute(_PORTAL_GRANTS)
