"""Every check's outcome kept in the warehouse, so BI can chart quality by department and month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class CheckResult:
    expectation: str
    rule: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None
    failing_rows: int


def store_results(
    conn: psycopg.Connection, batch_id: str, dataset: str, month: dt.date, results: list[CheckResult]
) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into audit.validation_results (batch_id, dataset, period, expectation, rule, "
            "column_name, severity, success, observed_value, failing_rows) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    batch_id,
                    dataset,
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
