"""The warehouse login Superset uses: a member of the read-only reporting role, nothing more.

`cityops_reporting` (dbt_project/macros/roles.sql) may only read `marts`; it cannot log
in. Superset gets a LOGIN user inside it, made by whoever owns the warehouse (the
embedded server's superuser locally, the `cityops` owner in compose).
"""

from __future__ import annotations

import psycopg2
from psycopg2 import sql

REPORTING_ROLE = "cityops_reporting"


def ensure_login(admin_url: str, user: str, password: str) -> None:
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            # dbt creates the role at its first build; before that, create it as dbt would
            cur.execute(
                sql.SQL("do $$ begin create role {} nologin; exception when duplicate_object then null; end $$").format(
                    sql.Identifier(REPORTING_ROLE)
                )
            )
            cur.execute("select 1 from pg_roles where rolname = %s", (user,))
            verb = "alter" if cur.fetchone() else "create"
            cur.execute(
                sql.SQL(verb + " role {} login nosuperuser nocreatedb nocreaterole inherit password %s").format(
                    sql.Identifier(user)
                ),
                (password,),
            )
            cur.execute(sql.SQL("grant {} to {}").format(sql.Identifier(REPORTING_ROLE), sql.Identifier(user)))
    finally:
        conn.close()
