"""Run dbt against the warehouse: the connection comes from cityops, never from a file.

dbt runs in-process (dbtRunner), so one `build` pays dbt's start-up once; its artefacts
and logs go under CITYOPS_HOME so the project folder stays clean.

Write-audit-publish for the marts: dbt builds the table marts into a side schema
(`marts__next`, see macros/generate_schema_name.sql) and runs every test, the
reconciliation with raw included; only when nothing failed are they moved into `marts`,
in one transaction, so a failing test at error severity leaves BI reading the previous
marts. Incremental marts (hotline, grid) are built in place: they add one month to the
rows already there, so a failing test there is reported but their new month stays.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field

from psycopg import sql

from cityops import locks
from cityops.contracts import all_contracts
from cityops.errors import BuildFailed
from cityops.load.access import grant_service_access
from cityops.load.schema import ensure_schema
from cityops.load.warehouse import connect, dbt_connection
from cityops.settings import Home, dbt_project_dir

log = logging.getLogger("cityops.build")
MARTS, NEXT, PREVIOUS = "marts", "marts__next", "marts__previous"


@dataclass
class BuildResult:
    success: bool
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        lines = [f"dbt build: {'ok' if self.success else 'FAILED'} ({counts})"]
        lines += [f"  ✗ {failure}" for failure in self.failures]
        lines += [f"  marts.{name}: {rows} rows" for name, rows in sorted(self.mart_rows.items())]
        return "\n".join(lines)


def dbt_env(home: Home) -> dict[str, str]:
    conn = dbt_connection(home)
    return {
        "CITYOPS_DB_HOST": conn["host"],
        "CITYOPS_DB_PORT": conn["port"],
        "CITYOPS_DB_USER": conn["user"],
        "CITYOPS_DB_PASSWORD": conn["password"],
        "CITYOPS_DB_NAME": conn["dbname"],
        "DBT_PROFILES_DIR": str(dbt_project_dir()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_args(home: Home, command: str, *extra: str) -> list[str]:
    return [
        command,
        "--project-dir",
        str(dbt_project_dir()),
        "--profiles-dir",
        str(dbt_project_dir()),
        "--target-path",
        str(home.dbt_target),
        "--log-path",
        str(home.logs / "dbt"),
        *extra,
    ]


def prepare(home: Home) -> None:
    """Before dbt runs: every source table exists (even a dataset's not yet loaded), the roles
    and the services' grants on the schemas dbt builds are in place (load/access.py)."""
    with connect(home) as conn:
        for contract in all_contracts().values():
            ensure_schema(conn, contract)
        grant_service_access(conn)
    os.environ.update(dbt_env(home))


def invoke(home: Home, command: str, *extra: str):
    from dbt.cli.main import dbtRunner

    prepare(home)
    log.info("dbt %s %s", command, " ".join(extra))
    return dbtRunner().invoke(dbt_args(home, command, "--quiet", *extra))


def mart_row_counts(home: Home) -> dict[str, int]:
    with connect(home) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            )
        ]
        return {t: conn.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}


def extra_vars() -> dict:
    """dbt vars from CITYOPS_DBT_VARS (JSON), e.g. to rehearse a failing build."""
    text = os.environ.get("CITYOPS_DBT_VARS", "").strip()
    return json.loads(text) if text else {}


_DROP = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


def _relations(conn, schema: str) -> dict[str, str]:
    rows = conn.execute(
        "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')",
        (schema,),
    ).fetchall()
    return dict(rows)


def _swap_in(conn) -> None:
    """Every relation built in `marts__next` replaces its namesake in `marts`, atomically.

    Relations move (ALTER ... SET SCHEMA): no copy, and their grants and comments go with them.
    """
    with conn.transaction():
        conn.execute(f"create schema if not exists {MARTS}")
        published = _relations(conn, MARTS)
        for name, kind in _relations(conn, NEXT).items():
            if name in published:
                conn.execute(
                    sql.SQL("drop {} {} cascade").format(sql.SQL(_DROP[published[name]]), sql.Identifier(MARTS, name))
                )
            conn.execute(
                sql.SQL("alter {} {} set schema {}").format(
                    sql.SQL(_DROP[kind]), sql.Identifier(NEXT, name), sql.Identifier(MARTS)
                )
            )


def build(*, full_refresh: bool = False, select: str | None = None, home: Home | None = None) -> BuildResult:
    """Build and test everything; publish the marts only if no test at error severity failed.

    With `select` (a developer's partial build) the selected models are built in place.
    """
    home = home or Home.from_env()
    extra = ["--full-refresh"] if full_refresh else []
    if select:
        extra += ["--select", select]
    variables = extra_vars()
    if not select:
        variables["cityops_marts_schema"] = NEXT
    with connect(home) as conn, locks.dbt_build_lock(conn):
        try:
            conn.execute(f"drop schema if exists {NEXT} cascade")
            result = _run_dbt(home, [*extra, "--vars", json.dumps(variables)])
            if result.success and not select:
                _swap_in(conn)
        finally:
            conn.execute(f"drop schema if exists {NEXT} cascade")
    result.mart_rows = mart_row_counts(home)
    if not result.success:
        raise BuildFailed(
            result.summary() + "\nThe marts were not replaced: BI still reads the previous build. "
            f"Fix what failed and build again. Logs: {home.logs / 'dbt'}"
        )
    return result


def _run_dbt(home: Home, extra: list[str]) -> BuildResult:
    outcome = invoke(home, "build", *extra)
    if outcome.exception is not None:
        raise BuildFailed(f"dbt could not run: {outcome.exception}. Logs: {home.logs / 'dbt'}")
    result = BuildResult(success=bool(outcome.success))
    for node in outcome.result or []:
        status = str(node.status)
        result.counts[status] = result.counts.get(status, 0) + 1
        if status in {"error", "fail"}:
            result.failures.append(f"{node.node.name}: {(node.message or '').strip()}")
    return result
