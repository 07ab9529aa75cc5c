"""The Great Expectations gate: the contract's rules run on the staged batch in PostgreSQL.

The suite is derived from the contract at run time (validate/suite.py); GX checks the
typed, staged rows where they sit (a SQL datasource, so nothing is pulled into memory),
and reports the failing rows by their source row number `_row`. Each failure becomes a
Problem with the contract's header and a message a clerk can act on.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any, NamedTuple

import psycopg
from psycopg import sql

from cityops.contracts import Contract
from cityops.load.warehouse import url
from cityops.problems import Problem, ProblemLog
from cityops.validate.results import CheckResult
from cityops.validate.suite import Check, build_checks

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
log = logging.getLogger("cityops.gate")
ROWS_PER_RULE = 50  # the report lists the first of each rule, and counts the rest
# Memory for one sort or hash in GX's queries. Uniqueness over a million ticket ids is a
# hash aggregate: with PostgreSQL's default 4 MB it spills to disk and takes twice as long.
GATE_WORK_MEM = "64MB"


def gate_url(warehouse: str) -> str:
    """The warehouse URL for GX's sessions: the same server, with the gate's work_mem."""
    from sqlalchemy.engine import make_url

    target = make_url(warehouse)
    options = " ".join(filter(None, [target.query.get("options"), f"-c work_mem={GATE_WORK_MEM}"]))
    return target.update_query_dict({"options": options}).render_as_string(hide_password=False)


class Outcome(NamedTuple):
    """What GX said of one check (the parts of its ExpectationValidationResult the gate reads)."""

    success: bool
    result: dict[str, Any]
    exception_info: dict[str, Any] | None


def _validate(contract: Contract, table: sql.Identifier, checks: list[Check], result_format: str, warehouse: str):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    schema, name = table._obj  # type: ignore[attr-defined]
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # add_sql, not add_postgres: the latter refuses the embedded server's socket URL (no host).
    source = context.data_sources.add_sql("warehouse", connection_string=gate_url(warehouse))
    batch = source.add_table_asset(contract.dataset, table_name=name, schema_name=schema)
    definition = batch.add_batch_definition_whole_table("staged")
    suite = context.suites.add(
        gx.ExpectationSuite(name=f"{contract.dataset}_gate", expectations=[c.expectation for c in checks])
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{contract.dataset}_gate", data=definition, suite=suite)
    )
    if result_format == "BOOLEAN_ONLY":
        return validation.run(result_format={"result_format": "BOOLEAN_ONLY"})
    return validation.run(
        result_format={
            "result_format": result_format,
            "unexpected_index_column_names": ["_row"],
            "partial_unexpected_count": ROWS_PER_RULE,
        }
    )


def gx_outcomes(
    contract: Contract, table: sql.Identifier, month: dt.date, warehouse: str | None = None
) -> dict[str, Outcome]:
    """Pass/fail of every check first (GX bundles those into few scans of the batch); then
    the failing rows of only the checks that failed. A clean million-row batch is scanned
    a handful of times instead of twice per check. Keyed by check name; `warehouse`: its URL."""
    warehouse = warehouse or url()
    checks = build_checks(contract, month)
    items = {
        item.expectation_config.meta["check"]: item
        for item in _validate(contract, table, checks, "BOOLEAN_ONLY", warehouse).results
    }
    failed = {name for name, item in items.items() if not item.success}
    if failed:
        again = [check for check in build_checks(contract, month) if check.name in failed]
        items.update(
            {
                item.expectation_config.meta["check"]: item
                for item in _validate(contract, table, again, "COMPLETE", warehouse).results
            }
        )
    return {
        name: Outcome(bool(item.success), _builtins(dict(item.result or {})), _plain_info(item.exception_info))
        for name, item in items.items()
    }


def _builtins(value: Any) -> Any:
    """GX's result in builtin types only. A failing check's row index is keyed by GX's own
    CaseInsensitiveString: unpickled in the command line, it imported all of GX (2.4 s)."""
    if isinstance(value, dict):
        return {_builtins(key): _builtins(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_builtins(item) for item in value]
    if isinstance(value, str) and type(value) is not str:
        return value.encode().decode()  # an exact str, whatever the subclass's __str__ does
    return value


def _plain_info(info: Any) -> dict | None:
    """GX's exception info as plain dicts (what `_raised` reads), so it can cross a process."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return {"raised_exception": info.get("raised_exception"), "exception_message": info.get("exception_message")}
    return {str(key): _plain_info(value) for key, value in info.items() if isinstance(value, dict)}


def _failing_rows(conn: psycopg.Connection, table: sql.Identifier, check: Check, outcome: dict) -> list[int]:
    index = outcome.get("unexpected_index_list") or outcome.get("partial_unexpected_index_list")
    if index:
        return sorted(int(item["_row"]) for item in index)[:ROWS_PER_RULE]
    if check.key:  # GX gives no row index for compound uniqueness on SQL sources
        keys = sql.SQL(", ").join(map(sql.Identifier, check.key))
        return [
            r[0]
            for r in conn.execute(
                sql.SQL(
                    "select _row from {t} where ({k}) in (select {k} from {t} group by {k} having count(*) > 1) "
                    "order by _row limit {n}"
                ).format(t=table, k=keys, n=sql.Literal(ROWS_PER_RULE))
            )
        ]
    return []


def _row_values(
    conn: psycopg.Connection, table: sql.Identifier, rows: list[int], columns: list[str]
) -> dict[int, tuple]:
    if not rows or not columns:
        return {}
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    # The rows are staged in file order and these are the first failing ones: the LIMIT ends
    # the scan once they are found, usually near the start of the table.
    query = sql.SQL("select _row, {} from {} where _row = any(%s) limit {}").format(
        cols, table, sql.Literal(len(set(rows)))
    )
    return {r[0]: r[1:] for r in conn.execute(query, (rows,))}


def _to_problems(conn, contract: Contract, table, check: Check, outcome: dict, problems: ProblemLog) -> None:
    if check.row_query:  # the rule's own SQL names the failing rows and what was allowed on each
        schema, name = table._obj  # type: ignore[attr-defined]
        failing = sql.SQL(check.row_query.replace("{batch}", "{}")).format(sql.Identifier(schema, name))
        # The first failing rows and how many fail, in one scan of the batch.
        rows = conn.execute(
            sql.SQL("select *, count(*) over () from ({}) as failing order by _row limit {}").format(
                failing, sql.Literal(ROWS_PER_RULE)
            )
        ).fetchall()
        for row, value, allowed, key, _ in rows:
            problems.add(check.row_problem(row, value, allowed, key))
        total = rows[0][-1] if rows else 0
        problems.count_more(check.severity, check.rule, check.header, total - len(rows))
        return
    if check.rule == "missing_streets":  # say which streets are missing, from the staged rows
        column = sql.Identifier(check.value_columns[0])
        present = [r[0] for r in conn.execute(sql.SQL("select distinct {} from {}").format(column, table))]
        problems.add(check.problem(None, present))
        return
    if check.rule == "required" and problems.has("missing_column", check.header):
        return  # the whole column is missing: said once, not once per row
    rows = _failing_rows(conn, table, check, outcome)
    if not rows:
        problems.add(check.problem(None, outcome.get("observed_value")))
        return
    unexpected = int(outcome.get("unexpected_count") or len(rows))
    if check.rule == "required":
        # Unreadable cells are staged as NULL and were reported as such: don't count them twice.
        unexpected -= problems.flagged_in(check.header) - sum(problems.flagged(r, check.header) for r in rows)
    values = _row_values(conn, table, rows, check.value_columns)
    for row in rows:
        problems.add(check.problem(row, values.get(row, ())))
    problems.count_more(check.severity, check.rule, check.header, unexpected - len(rows))


def _raised(info: dict | None) -> str | None:
    """GX 1.x nests exception info per metric; the first message of any that raised."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message"))[:500]
    return None


def run_gate(
    conn: psycopg.Connection,
    contract: Contract,
    table: sql.Identifier,
    month: dt.date,
    problems: ProblemLog,
    outcomes: dict[str, Outcome] | None = None,
) -> list[CheckResult]:
    """Run the contract's suite on the staged batch; failures are added to `problems`.

    `outcomes`: GX's outcomes, when GX ran elsewhere (validate/worker.py); else it runs here."""
    if outcomes is None:
        outcomes = gx_outcomes(contract, table, month)
    checks = build_checks(contract, month, unbuilt=True)  # the checks' rules and SQL; GX's objects not needed
    by_name = {check.name: check for check in checks}
    items = outcomes
    stored: list[CheckResult] = []
    for name, item in items.items():  # GX does not keep the suite's order
        check = by_name[name]
        outcome = item.result or {}
        error = _raised(item.exception_info)
        if error:
            log.error("check %s could not run: %s", check.name, error)
            problems.add(Problem.of("gate_failed", None, check.header, check.name))
        elif not item.success:
            _to_problems(conn, contract, table, check, outcome, problems)
        observed = outcome.get("observed_value")
        stored.append(
            CheckResult(
                expectation=check.name,
                rule=check.rule,
                column=check.header,
                severity=check.severity,
                success=bool(item.success),
                observed_value=None if observed is None else str(observed)[:500],
                failing_rows=int(outcome.get("unexpected_count") or (0 if item.success else 1)),
            )
        )
    log.info(
        "%s: gate ran %d checks, %d failed", contract.dataset, len(checks), sum(1 for r in stored if not r.success)
    )
    return stored
