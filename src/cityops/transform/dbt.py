"""Run dbt against the warehouse: the connection comes from cityops, never from a file.

dbt runs in-process (dbtRunner), so one `build` pays dbt's start-up once; its artefacts
and logs go under CITYOPS_HOME so the project folder stays clean.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from cityops.contracts import all_contracts
from cityops.load.schema import ensure_schema
from cityops.load.warehouse import connect, dbt_connection
from cityops.settings import Home, dbt_project_dir

log = logging.getLogger("cityops.build")


class BuildFailed(RuntimeError):
    """dbt could not build or a test at error severity failed; the message names the nodes."""


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
    """Every source table exists before dbt reads it, even for a dataset not yet loaded."""
    with connect(home) as conn:
        for contract in all_contracts().values():
            ensure_schema(conn, contract)
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


def build(*, full_refresh: bool = False, select: str | None = None, home: Home | None = None) -> BuildResult:
    home = home or Home.from_env()
    extra = ["--full-refresh"] if full_refresh else []
    if select:
        extra += ["--select", select]
    outcome = invoke(home, "build", *extra)
    result = BuildResult(success=bool(outcome.success))
    if outcome.exception is not None:
        raise BuildFailed(f"dbt could not run: {outcome.exception}. Logs: {home.logs / 'dbt'}")
    for node in outcome.result or []:
        status = str(node.status)
        result.counts[status] = result.counts.get(status, 0) + 1
        if status in {"error", "fail"}:
            result.failures.append(f"{node.node.name}: {(node.message or '').strip()}")
    result.mart_rows = mart_row_counts(home)
    if not result.success:
        raise BuildFailed(
            result.summary() + f"\nThe previous marts are unchanged where a model failed. Logs: {home.logs / 'dbt'}"
        )
    return result
