"""Run dbt against the warehouse: the connection comes from cityops, never from a file.

dbt runs in-process (dbtRunner), so one `build` pays dbt's start-up once; its artefacts
and logs go under CITYOPS_HOME so the project folder stays clean.

Write-audit-publish, one path for every caller (`cityops build`, `cityops run`, the DAGs'
`dbt_build` task, a backfill): under the build lock, decide from the state before dbt
starts what changed (transform/freshness.py); build it and its tests into a side schema
(`marts__next`, see macros/generate_schema_name.sql and transform/side_schema.py), the
incremental facts included (the new months of a large fact, merged into it at the swap;
a copy of a smaller one); only when nothing failed at error severity do the built marts
move into `marts`, in one transaction. A failing test leaves BI reading the previous
marts, incremental facts included.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

import psycopg

from cityops import locks
from cityops.contracts import all_contracts
from cityops.errors import BuildFailed, BuildNotPublished
from cityops.load.access import grant_service_access
from cityops.load.schema import ensure_schema
from cityops.load.warehouse import connect, dbt_connection
from cityops.settings import Home, dbt_project_dir
from cityops.transform import freshness, manifest_cache, side_schema
from cityops.transform.freshness import SKIPPED_BUILD
from cityops.transform.side_schema import NEXT

log = logging.getLogger("cityops.build")


@dataclass
class BuildResult:
    success: bool
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    built: list[str] = field(default_factory=list)  # the marts this build published
    skipped: bool = False
    reason: str = ""

    def summary(self) -> str:
        if self.skipped:
            lines = [SKIPPED_BUILD]
        else:
            counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
            failed = ", ".join(f.split(":", 1)[0] for f in self.failures)
            verdict = "ok" if self.success else f"FAILED at {failed or 'dbt'}"
            lines = [f"dbt build: {verdict} ({counts}); {self.reason}"]
        lines += [f"  ✗ {failure}" for failure in self.failures]
        if self.success:  # a failure says what failed; BI still reads the previous marts
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
    and the services' grants on the schemas dbt builds are in place (load/access.py), and the
    audit table has fresh statistics."""
    with connect(home) as conn:
        for contract in all_contracts().values():
            ensure_schema(conn, contract)
        grant_service_access(conn)
        # Every staging model joins raw to this small table, which changes with every load and
        # which autovacuum seldom analyzes (under 50 changes). Without statistics the planner
        # read a new batch's partition once per current batch (0.5 s, not 0.12 s, for a month
        # of tickets). A few milliseconds; a role that may not analyze it gets a warning only.
        conn.execute("analyze audit.ingest_batches")
    os.environ.update(dbt_env(home))


def invoke(home: Home, command: str, *extra: str, prepared: bool = False, manifest=None):
    """dbt in this process; with `manifest` (a parsed project), dbt does not parse."""
    from dbt.cli.main import dbtRunner

    if not prepared:
        prepare(home)
    log.info("dbt %s %s", command, " ".join(extra))
    return dbtRunner(manifest=manifest).invoke(dbt_args(home, command, "--quiet", *extra))


def parsed_project_key(home: Home, project_digest: str, variables: dict[str, Any]) -> str:
    return manifest_cache.key(project_digest, variables, dbt_env(home))


def parsed_project(home: Home, project_digest: str, variables: dict[str, Any]):
    """The project as dbt parses it with these vars: kept from an earlier build, or parsed now
    (and kept). Call it after `prepare`."""
    key = parsed_project_key(home, project_digest, variables)
    manifest = manifest_cache.load(home, key)
    if manifest is None:
        outcome = invoke(home, "parse", "--no-write-json", "--vars", json.dumps(variables), prepared=True)
        _raise_unless_ran(home, outcome)
        if not outcome.success:
            raise BuildFailed(f"dbt could not parse the project. Logs: {home.logs / 'dbt'}")
        manifest = outcome.result
        manifest_cache.keep(home, key, manifest)
    return manifest


def mart_row_counts(home: Home) -> dict[str, int]:
    with connect(home) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            )
        ]
        return {t: conn.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}


def side_schema_variables() -> dict[str, Any]:
    """The vars of a build into `marts__next` (every build but a developer's `--select`)."""
    return {**extra_vars(), "cityops_marts_schema": NEXT}


def extra_vars() -> dict:
    """dbt vars from CITYOPS_DBT_VARS (JSON), e.g. to rehearse a failing build."""
    text = os.environ.get("CITYOPS_DBT_VARS", "").strip()
    return json.loads(text) if text else {}


def build(*, full_refresh: bool = False, select: str | None = None, home: Home | None = None) -> BuildResult:
    """Build what changed and its tests; publish the marts only if no test at error severity failed.

    One build at a time (an advisory lock; the DAGs also share an Airflow pool of one). What
    to build is decided under the lock from the state before dbt starts (transform/freshness.py).
    With `select` (a developer's partial build) the selected models are built in place.
    """
    home = home or Home.from_env()
    if select:
        return _build_in_place(home, select, full_refresh)
    with connect(home) as conn, locks.dbt_build_lock(conn):
        todo = freshness.plan(home, conn, full_refresh=full_refresh)
        log.info("dbt build: %s", todo.reason)
        if todo.skip:
            return BuildResult(success=True, skipped=True, reason=todo.reason, mart_rows=mart_row_counts(home))
        variables = side_schema_variables()
        copies = None
        try:
            side_schema.create(conn, todo.tested)
            # the incremental marts the changed datasets feed: the large facts as empty deltas,
            # the rest as copies of the published tables, filled while dbt starts
            staging = side_schema.plan_staging(todo.state_dir, todo.datasets, deltas_allowed=todo.same_project)
            deltas = side_schema.stage_deltas(conn, staging.deltas)
            # a fact not published yet is copied (built whole) instead: facts before their rollups
            unstaged = [name for name in staging.deltas if name not in deltas]
            copies = side_schema.BackgroundCopies(home, [*unstaged, *staging.copies])
            prepare(home)
            side_schema.stand_in(conn, partial=todo.select is not None, copied={*copies.names, *deltas})
            common = ["--vars", json.dumps(variables), *todo.dbt_flags()]  # --state only if compared with
            selection = ["--select", *todo.select] if todo.select else []
            if todo.skip_unit_tests:
                selection += ["--exclude-resource-type", "unit_test"]
            extra = ["--full-refresh"] if full_refresh else []
            # Only batches changed: the manifest kept here is this project's, and writing it
            # (twice: after parse, after the run) cost ~1 s a build. run_results.json still is.
            manifest = not todo.manifest_kept
            parsed = parsed_project(home, todo.state.project, variables)
            result = _run_dbt(home, [*extra, *selection, *common], parsed, manifest=manifest)
            result.reason = todo.reason
            if result.success:
                with conn.transaction():  # the marts and the record of what they were built from, at once
                    side_schema.swap_in(conn, result.built)
                    freshness.record_good_build(
                        home, todo.state, conn, reason=todo.reason, published=result.built, manifest=manifest
                    )
        finally:
            if copies is not None:
                copies.finish()
            side_schema.drop(conn)
    result.mart_rows = mart_row_counts(home)
    if not result.success:
        raise BuildNotPublished(
            result.summary() + "\nThe marts were not replaced: BI still reads the previous build. "
            f"Fix what failed and build again. Logs: {home.logs / 'dbt'}"
        )
    return result


def build_marts(force: bool = False, home: Home | None = None) -> dict[str, Any]:
    """The month close's build (`cityops run`, the DAGs): what changed since the last good build, or nothing."""
    result = build(full_refresh=force, home=home)
    return {"build": result.summary(), "marts": result.mart_rows}


def _build_in_place(home: Home, select: str, full_refresh: bool) -> BuildResult:
    extra = ["--full-refresh"] if full_refresh else []
    variables = extra_vars()
    with connect(home) as conn, locks.dbt_build_lock(conn):
        prepare(home)
        parsed = parsed_project(home, freshness.project_digest(), variables)
        result = _run_dbt(home, [*extra, "--select", select, "--vars", json.dumps(variables)], parsed)
    result.mart_rows = mart_row_counts(home)
    if not result.success:
        raise BuildNotPublished(result.summary() + f"\nLogs: {home.logs / 'dbt'}")
    return result


def _raise_unless_ran(home: Home, outcome) -> None:
    if isinstance(outcome.exception, KeyboardInterrupt):  # dbt caught Ctrl-C: the command stops as on any
        raise KeyboardInterrupt
    if outcome.exception is not None:
        raise BuildFailed(f"dbt could not run: {outcome.exception}. Logs: {home.logs / 'dbt'}")


def _run_dbt(home: Home, extra: list[str], parsed, manifest: bool = True) -> BuildResult:
    """`dbt build` of the parsed project; `manifest` False: no manifest.json (the project is unchanged)."""
    no_json = [] if manifest else ["--no-write-json"]
    outcome = invoke(home, "build", *extra, *no_json, prepared=True, manifest=parsed)
    _raise_unless_ran(home, outcome)
    if not manifest and outcome.result is not None:  # what dbt writes unless --no-write-json
        outcome.result.write(str(home.dbt_target / "run_results.json"))
    result = BuildResult(success=bool(outcome.success))
    for node in outcome.result or []:
        status = str(node.status)
        result.counts[status] = result.counts.get(status, 0) + 1
        kind = node.node.resource_type
        failed = status in {"error", "fail"}
        level = logging.ERROR if failed else logging.INFO
        log.log(level, "dbt %s %s: %s (%.1f s)", kind, node.node.name, status, node.execution_time or 0)
        if failed:
            found = _failing_rows(home, node.node) if kind == "test" and status == "fail" else ""
            result.failures.append(f"{kind} {node.node.name}: {(node.message or '').strip()}{found}")
        elif kind == "model" and status == "success" and node.node.schema == NEXT:
            result.built.append(node.node.alias or node.node.name)
    return result


def _failing_rows(home: Home, node, limit: int = 3) -> str:
    """A failing test's first rows, for the summary (dbt says only how many): what is wrong
    and where, e.g. `rule=accepted_values, column_name=kind, value=灯杆损坏, n_rows=1`."""
    code = getattr(node, "compiled_code", None)
    if not code:
        return ""
    try:
        with connect(home) as conn:
            cursor = conn.execute(f"select * from ({code}) as failing limit {limit}")
            names = [column.name for column in cursor.description or []]
            rows = cursor.fetchall()
    except psycopg.Error:
        return ""
    return "".join(f"\n      {', '.join(f'{n}={v}' for n, v in zip(names, row, strict=True))}" for row in rows)
