"""Rules that need last month: compared with the previous month's current batch in `raw`.

Parameters come from the warehouse at run time, so the rule follows whatever was last
accepted (including a correction of last month), not a number frozen in the contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import psycopg
from psycopg import sql

from cityops.contracts import Contract, HistoryRule
from cityops.periods import previous_month
from cityops.problems import Problem, ProblemLog
from cityops.validate.results import CheckResult

HistoryCheck = Callable[[psycopg.Connection, Contract, HistoryRule, sql.Identifier, dt.date, ProblemLog], None]


def _previous_rows(contract: Contract, month: dt.date) -> sql.Composable:
    """The previous month's current batch of this dataset, as a subquery."""
    return sql.SQL(
        "(select r.* from {} r join audit.ingest_batches b on b.batch_id = r._batch_id "
        "where b.status = 'current' and b.dataset = {} and b.period = {})"
    ).format(sql.Identifier("raw", contract.dataset), sql.Literal(contract.dataset), sql.Literal(previous_month(month)))


def _entity_key(contract: Contract) -> list[str]:
    return [k for k in contract.key if k != "period"]


def total_change_limit(conn, contract, rule, stage, month, problems) -> None:
    column = sql.Identifier(rule.column)
    previous = conn.execute(
        sql.SQL("select sum({}) from {} p").format(column, _previous_rows(contract, month))
    ).fetchone()[0]
    current = conn.execute(sql.SQL("select sum({}) from {}").format(column, stage)).fetchone()[0]
    if not previous or current is None:
        return
    change = abs(current - previous) / previous * 100
    limit = rule.params["max_change_pct"]
    if change > limit:
        problems.add(
            Problem.of(
                "total_change_limit",
                None,
                contract.column(rule.column).header,
                current,
                severity=rule.severity,
                previous=previous,
                allowed=limit,
                change_pct=f"{change:.1f}",
            )
        )


def _plain(value) -> str:
    """A figure as the clerk typed it: 1.50 (numeric(18,2)) -> 1.5."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _row_against_previous(
    conn,
    contract: Contract,
    rule: HistoryRule,
    stage,
    month,
    problems,
    condition: sql.Composable,
    rule_name: str,
    describe=_plain,
) -> None:
    keys = _entity_key(contract)
    join = sql.SQL(" and ").join(sql.SQL("s.{0} = p.{0}").format(sql.Identifier(k)) for k in keys)
    column = sql.Identifier(rule.column)
    query = sql.SQL(
        "select s._row, s.{c}, p.{c} from {stage} s join {prev} p on {join} where {cond} order by s._row"
    ).format(c=column, stage=stage, prev=_previous_rows(contract, month), join=join, cond=condition)
    header = contract.column(rule.column).header
    for row, value, previous in conn.execute(query):
        problems.add(
            Problem.of(rule_name, row, header, describe(value), severity=rule.severity, previous=describe(previous))
        )


def cumulative_never_falls(conn, contract, rule, stage, month, problems) -> None:
    condition = sql.SQL("s.{0} < p.{0}").format(sql.Identifier(rule.column))
    _row_against_previous(conn, contract, rule, stage, month, problems, condition, "cumulative_decrease")


def stage_never_backwards(conn, contract, rule, stage, month, problems) -> None:
    order = contract.column(rule.column).values
    rank = sql.SQL("array_position({}::text[], {}.{})")
    values = sql.Literal(list(order))
    condition = sql.SQL("{} < {}").format(
        rank.format(values, sql.Identifier("s"), sql.Identifier(rule.column)),
        rank.format(values, sql.Identifier("p"), sql.Identifier(rule.column)),
    )
    _row_against_previous(conn, contract, rule, stage, month, problems, condition, "stage_backwards")


CHECKS: dict[str, HistoryCheck] = {
    "total_change_limit": total_change_limit,
    "cumulative_never_falls": cumulative_never_falls,
    "stage_never_backwards": stage_never_backwards,
}


def run_history_rules(
    conn: psycopg.Connection, contract: Contract, stage: sql.Identifier, month: dt.date, problems: ProblemLog
) -> list[CheckResult]:
    """Run each rule; its outcome (failing rows, the first value found) is kept for audit."""
    results = []
    for rule in contract.history:
        before, kept = sum(problems.counts.values()), len(problems.kept)
        CHECKS[rule.rule](conn, contract, rule, stage, month, problems)
        failing = sum(problems.counts.values()) - before
        first = problems.kept[kept] if len(problems.kept) > kept else None
        header = contract.column(rule.column).header if rule.column else None
        results.append(
            CheckResult(
                expectation=f"{contract.dataset}.{rule.column or 'table'}.{rule.rule}",
                rule=rule.rule,
                column=header,
                severity=rule.severity,
                success=failing == 0,
                observed_value=first.value if first else None,
                failing_rows=failing,
            )
        )
    return results
