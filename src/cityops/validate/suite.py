"""A contract's rules as Great Expectations, each tied to its rule name, header and severity.

The parsers (extract/values.py) decide whether a cell can be read at all; the suite
states the business rules on readable values: required, ranges, choices, the reporting
month, one row per key, row counts, every street present, A ≤ B on a row, A = B on a
row, a value that must agree with its reference row (catalog name, unit, range, owner),
and a cell that must be empty (or filled) while another column has certain values.
Rules GX has no expectation for are SQL over the staged batch (`row_query`), which GX
runs as an UnexpectedRowsExpectation and the gate reuses to list the failing rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from cityops.contracts import Column, Contract
from cityops.periods import SHANGHAI, month_start_at, next_month
from cityops.problems import Problem
from cityops.reference import official_streets, reference_rows, registry_words


def _show(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "normalize"):  # Decimal: 12.50 -> 12.5
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


@dataclass
class Check:
    name: str
    rule: str
    header: str | None
    expectation: Any
    severity: str = "block"
    value_columns: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    # SQL over `{batch}` giving the failing rows as (_row, value, allowed, key), for rules GX lacks
    row_query: str | None = None

    def row_problem(self, row: int, value: Any, allowed: Any, key: Any) -> Problem:
        details = {**self.details, "allowed": _show(allowed), "key": _show(key)}
        return Problem.of(self.rule, row, self.header, value, severity=self.severity, **details)

    def problem(self, row: int | None, values: Any) -> Problem:
        details = dict(self.details)
        if self.rule == "missing_streets":
            present = set(values or [])
            value: Any = "、".join(s for s in official_streets() if s not in present)
        elif self.rule == "row_count":
            value = values
        elif self.key:
            value = " / ".join(_show(v) for v in values)
        else:
            values = values or ()
            value = _show(values[0]) if values else None
            if len(values) > 1:
                details["other_value"] = _show(values[1])
        if self.rule == "period_mismatch" and value:
            value = value[:7]
        return Problem.of(self.rule, row, self.header, value, severity=self.severity, **details)


def _literal(value: Any) -> sql.Literal:
    return sql.Literal(None if value in (None, "") else str(value))


def _values(rows: list[tuple]) -> sql.Composable:
    """A registry's rows as a VALUES list."""
    return sql.SQL(", ").join(sql.SQL("({})").format(sql.SQL(", ").join(map(_literal, row))) for row in rows)


def _comparable(expression: sql.Composable) -> sql.Composable:
    """Text as a clerk means it: full-width ＝ half-width, case and spaces ignored (％ = %)."""
    return sql.SQL("regexp_replace(lower(normalize({}, NFKC)), '\\s', '', 'g')").format(expression)


# GX puts a subquery where {batch} stands: alias it outside. The gate fills it the same way (a
# table). GX aliases that subquery itself ("AS subselect") unless the query joins; a joining
# query must name it, as PostgreSQL before 16 refuses a subquery in FROM without an alias.
_BATCH = sql.SQL("(select * from {batch}) as b").format(batch=sql.SQL("{batch}"))
_BATCH_JOINED = sql.SQL("(select * from {batch} as batch_rows) as b").format(batch=sql.SQL("{batch}"))
_FAILING = "select b._row, {cell}::text as value, {allowed} as allowed, {key}::text as key from {batch} "


def _cell(col: Column) -> sql.Identifier:
    return sql.Identifier("b", col.stored_name)


def _row_queries(contract: Contract, col: Column) -> list[tuple[str, str, dict[str, Any]]]:
    """(rule, SQL giving _row/value/allowed/key of failing rows, message details) per option."""
    cell, queries = _cell(col), []
    if col.matches_reference:
        option = col.matches_reference
        key = contract.column(option["key_column"])
        rows = [(k, row[option["field"]]) for k, row in reference_rows(option["reference"]).items()]
        query = sql.SQL(
            _FAILING + "join (values {rows}) as r (k, expected) on {key} = r.k "
            "where {cell} is not null and {reported} <> {expected}"
        ).format(
            cell=cell,
            allowed=sql.SQL("r.expected"),
            key=_cell(key),
            batch=_BATCH_JOINED,
            rows=_values(rows),
            reported=_comparable(sql.SQL("{}::text").format(cell)),
            expected=_comparable(sql.SQL("r.expected")),
        )
        details = {"key_column": key.header, **registry_words(option["reference"])}
        queries.append(("reference_mismatch", query.as_string(), details))
    if col.reference_range:
        option = col.reference_range
        key = contract.column(option["key_column"])
        low, high = option["min_field"], option["max_field"]
        rows = [
            (k, row[low], row[high], f"{row[low]}–{row[high]}")
            for k, row in reference_rows(option["reference"]).items()
        ]
        query = sql.SQL(
            _FAILING + "join (values {rows}) as r (k, lo, hi, shown) on {key} = r.k "
            "where {cell} < r.lo::numeric or {cell} > r.hi::numeric"
        ).format(cell=cell, allowed=sql.SQL("r.shown"), key=_cell(key), batch=_BATCH_JOINED, rows=_values(rows))
        details = {"key_column": key.header, **registry_words(option["reference"])}
        queries.append(("outside_reference_range", query.as_string(), details))
    for option, rule, condition in (
        (col.blank_when, "must_be_blank_when", "is not null"),
        (col.required_when, "required_when", "is null"),
    ):
        if option:
            other = contract.column(option["column"])
            query = sql.SQL(_FAILING + "where {key} in ({listed}) and {cell} " + condition).format(
                cell=cell,
                allowed=sql.Literal(""),
                key=_cell(other),
                batch=_BATCH,
                listed=sql.SQL(", ").join(map(_literal, option["values"])),
            )
            details = {"other": other.header, "condition": "、".join(map(str, option["values"]))}
            queries.append((rule, query.as_string(), details))
    return queries


def _column_checks(gxe, contract: Contract, col: Column, month: dt.date) -> list[Check]:
    name, header, checks = col.stored_name, col.header, []

    def add(check: str, expectation_cls, others=(), row_query: str | None = None, **kwargs: Any) -> None:
        rule, severity = col.rule(check)
        details = kwargs.pop("details", {})
        check_name = f"{contract.dataset}.{name}.{check}"
        meta = {"check": check_name, "rule": rule, "column": header, "severity": severity}
        expectation = expectation_cls(meta=meta, **kwargs)
        checks.append(
            Check(
                check_name, rule, header, expectation, severity, [name, *others], details=details, row_query=row_query
            )
        )

    if col.required:
        add("required", gxe.ExpectColumnValuesToNotBeNull, column=name)
    if col.min is not None:
        add(
            "above_min" if col.min_exclusive else "min_value",
            gxe.ExpectColumnValuesToBeBetween,
            column=name,
            min_value=col.min,
            strict_min=col.min_exclusive,
            details={"allowed": col.min},
        )
    if col.max is not None:
        add(
            "max_value", gxe.ExpectColumnValuesToBeBetween, column=name, max_value=col.max, details={"allowed": col.max}
        )
    if col.values:
        add(
            "not_in_list",
            gxe.ExpectColumnValuesToBeInSet,
            column=name,
            value_set=list(col.values),
            details={"allowed": "、".join(col.values)},
        )
    if col.equals_period:
        # Between, not InSet: GX binds a value set as VARCHAR, which PostgreSQL won't compare to a date.
        add(
            "period_mismatch",
            gxe.ExpectColumnValuesToBeBetween,
            column=name,
            min_value=month,
            max_value=month,
            details={"period": month.strftime("%Y-%m")},
        )
    if col.inside_period:
        start, end = month_start_at(month), month_start_at(next_month(month))
        add(
            "outside_period",
            gxe.ExpectColumnValuesToBeBetween,
            column=name,
            min_value=start,
            max_value=end,
            strict_max=True,
            details={"period": month.strftime("%Y-%m")},
        )
    for other, rule, a, b in (
        (col.max_column, "not_greater_than_column", None, name),
        (col.min_column, "not_less_than_column", name, None),
    ):
        if other:
            other_col = contract.column(other)
            add(
                rule,
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                others=[other_col.stored_name],
                column_A=a or other_col.stored_name,
                column_B=b or other_col.stored_name,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                details={"other": other_col.header},
            )
    if col.equals_column:
        other_col = contract.column(col.equals_column)
        add(
            "not_equal_to_column",
            gxe.ExpectColumnPairValuesToBeEqual,
            others=[other_col.stored_name],
            column_A=name,
            column_B=other_col.stored_name,
            ignore_row_if="either_value_is_missing",
            details={"other": other_col.header},
        )
    for check, query, details in _row_queries(contract, col):
        add(check, gxe.UnexpectedRowsExpectation, row_query=query, unexpected_rows_query=query, details=details)
    return checks


class _Unbuilt:
    """Stands in for great_expectations.expectations where only the checks' names, rules and
    SQL are wanted (the gate reading outcomes GX computed in another process): no GX import."""

    def __getattr__(self, name: str):
        return lambda **kwargs: (name, kwargs)


def build_checks(contract: Contract, month: dt.date, *, unbuilt: bool = False) -> list[Check]:
    """The contract's checks; `unbuilt`: without their GX expectation objects (see _Unbuilt)."""
    if unbuilt:
        gxe: Any = _Unbuilt()
    else:
        import great_expectations.expectations as gxe

    checks: list[Check] = []
    for col in contract.columns:
        checks += _column_checks(gxe, contract, col, month)
    # The period is the same on every row (checked above): uniqueness is within the month.
    key_cols = [contract.column(k) for k in contract.key if k != "period" or len(contract.key) == 1]
    if key_cols:
        key = [c.stored_name for c in key_cols]
        name = f"{contract.dataset}.key.duplicate_key"
        meta = {"check": name, "rule": "duplicate_key", "severity": "block"}
        expectation = (
            gxe.ExpectColumnValuesToBeUnique(column=key[0], meta=meta)
            if len(key) == 1
            else gxe.ExpectCompoundColumnsToBeUnique(column_list=key, meta=meta)
        )
        key_zh, key_en = "、".join(c.header for c in key_cols), " + ".join(c.name for c in key_cols)
        details = {"key_zh": key_zh, "key_en": key_en}
        checks.append(
            Check(name, "duplicate_key", key_cols[0].header, expectation, key=key, value_columns=key, details=details)
        )
    bounds = {"min_value": contract.row_count_min, "max_value": contract.row_count_max}
    allowed = (
        f"{contract.row_count_min}"
        if contract.row_count_min == contract.row_count_max
        else f"{contract.row_count_min}–{contract.row_count_max or '∞'}"
    )
    checks.append(
        Check(
            f"{contract.dataset}.table.row_count",
            "row_count",
            None,
            gxe.ExpectTableRowCountToBeBetween(
                meta={"check": f"{contract.dataset}.table.row_count", "rule": "row_count"}, **bounds
            ),
            details={"allowed": allowed},
        )
    )
    if contract.every_street:
        street = next(c for c in contract.columns if c.type == "street")
        checks.append(
            Check(
                f"{contract.dataset}.table.missing_streets",
                "missing_streets",
                street.header,
                gxe.ExpectColumnDistinctValuesToContainSet(
                    column=street.stored_name,
                    value_set=official_streets(),
                    meta={"check": f"{contract.dataset}.table.missing_streets", "rule": "missing_streets"},
                ),
                value_columns=[street.stored_name],
            )
        )
    return checks
