"""Every check's outcome kept in the warehouse, so BI can chart quality by department and month.

Three kinds of check land in `audit.validation_results`: the GX suite (gate.py), the
rules against last month (history.py), and what reading the file found (a cell that is
not a number, a missing column, a damaged file), counted per rule and column.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import psycopg

from cityops.contracts import Contract


@dataclass(frozen=True)
class CheckResult:
    expectation: str
    rule: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None
    failing_rows: int


def reading_results(contract: Contract, counts: Counter, first_values: dict | None = None) -> list[CheckResult]:
    """What the reader found, one result per (severity, rule, column); `counts` as in ProblemLog."""
    names = {c.header: c.name for c in contract.columns}
    first_values = first_values or {}
    return [
        CheckResult(
            expectation=f"{contract.dataset}.{names.get(column or '', 'file')}.{rule}",
            rule=rule,
            column=column,
            severity=severity,
            success=False,
            observed_value=first_values.get((severity, rule, column)),
            failing_rows=n,
        )
        for (severity, rule, column), n in sorted(counts.items(), key=lambda kv: tuple(map(str, kv[0])))
    ]


def store_results(
    conn: psycopg.Connection,
    batch_id: str,
    dataset: str,
    month: dt.date,
    results: list[CheckResult],
    department: str | None = None,
) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into audit.validation_results (batch_id, dataset, department, period, expectation, rule, "
            "column_name, severity, success, observed_value, failing_rows) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    batch_id,
                    dataset,
                    department,
                    month,
                    r.expectation,
                    r.rule,
                    r.column,
                    r.severity,
                    r.success,
                    r.observed_value,
                    r.failing_rows,
                )
                for r in results
            ],
        )
