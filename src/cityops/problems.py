"""Problems found in a file, and the log that keeps a report small on a huge file.

A million-row file with 1% bad rows must still give a short report: every rule's count,
and the first problems of each, not ten thousand lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cityops.messages import render

KEEP_PER_RULE = 50


@dataclass(frozen=True)
class Problem:
    rule: str
    row: int | None
    column: str | None
    value: str | None
    message_zh: str
    message_en: str
    severity: str = "block"

    @classmethod
    def of(
        cls,
        rule: str,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        severity: str = "block",
        **details: Any,
    ) -> Problem:
        text = None if value is None else _display(value)
        zh, en = render(rule, row, column, text, **details)
        return cls(rule, row, column, text, zh, en, severity)

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "severity": self.severity,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def _display(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class ProblemLog:
    """Counts every problem, keeps the first few of each (rule, column)."""

    keep: int = KEEP_PER_RULE
    kept: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    _flagged_cells: set[tuple[int | None, str | None]] = field(default_factory=set)

    def add(self, problem: Problem) -> None:
        cell = (problem.row, problem.column)
        if problem.row is not None and cell in self._flagged_cells:
            return  # one problem per cell: an unreadable value is not also "out of range"
        if problem.row is not None:
            self._flagged_cells.add(cell)
        key = (problem.severity, problem.rule, problem.column)
        self.counts[key] += 1
        if self.counts[key] <= self.keep:
            self.kept.append(problem)

    def count_more(self, severity: str, rule: str, column: str | None, extra: int) -> None:
        """Failures beyond those listed (the gate reports totals and a sample)."""
        if extra > 0:
            self.counts[(severity, rule, column)] += extra

    def flagged(self, row: int, column: str) -> bool:
        return (row, column) in self._flagged_cells

    def flagged_in(self, column: str | None) -> int:
        """Cells of a column already reported (an unreadable cell is staged as NULL)."""
        return sum(1 for _, col in self._flagged_cells if col == column)

    def has(self, rule: str, column: str | None) -> bool:
        return any(sev_rule == rule and col == column for _, sev_rule, col in self.counts)

    @property
    def errors(self) -> list[Problem]:
        return sorted((p for p in self.kept if p.severity == "block"), key=_order)

    @property
    def warnings(self) -> list[Problem]:
        return sorted((p for p in self.kept if p.severity == "warn"), key=_order)

    @property
    def blocking(self) -> bool:
        return any(sev == "block" for sev, _, _ in self.counts)

    def summary(self) -> list[dict[str, Any]]:
        return [
            {"severity": sev, "rule": rule, "column": column, "count": n}
            for (sev, rule, column), n in sorted(self.counts.items(), key=lambda kv: (kv[0][0], -kv[1]))
        ]


def _order(problem: Problem) -> tuple[int, int]:
    return (problem.row if problem.row is not None else -1, 0)
