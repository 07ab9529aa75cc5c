"""Find the table inside a department's sheet: the header row, and which rows are data.

Real extracts carry a title or two above the header, a units row below it, blank rows,
a 合计 row and a 填报单位 footer. Those are recognised and skipped; every other row is
data and must pass the contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cityops.contracts import Contract
from cityops.extract.sheets import Row
from cityops.problems import Problem
from cityops.textnorm import fold

HEADER_SEARCH_ROWS = 30
_UNIT = re.compile(r"\(([^()]*)\)$")
_TOTALS = {fold(w) for w in ("合计", "总计", "小计", "全区合计", "总合计", "合计：", "总计：")}
_FOOTER_PREFIXES = tuple(
    fold(w)
    for w in (
        "填报单位",
        "填报人",
        "填表人",
        "联系电话",
        "制表",
        "审核",
        "负责人",
        "单位负责人",
        "统计负责人",
        "备注",
        "注:",
        "说明",
        "报送日期",
        "填报日期",
        "填表日期",
    )
)
SKIP_STARTS = {w[:1] for w in _TOTALS} | {w[:1] for w in _FOOTER_PREFIXES}  # first characters worth folding
_SKIP_HEAD = re.compile(r"(?:^|\x00)\s*[" + re.escape("".join(sorted(SKIP_STARTS))) + "]")
_UNIT_CELL = re.compile(
    r"\(?(单位.*|吨|个|户|%|公里|千米|km|米|m|平方米|m2|㎡|公顷|根|小时|次|部|台|处|mg/l|元|万元)\)?"
)


def _base(folded: str) -> tuple[str, str | None]:
    """`干垃圾(吨)` -> (`干垃圾`, `吨`)."""
    match = _UNIT.search(folded)
    if not match:
        return folded, None
    return folded[: match.start()], match.group(1)


@dataclass(frozen=True)
class Layout:
    header_row: int
    columns: dict[int, str]  # cell index -> contract column name
    headers: dict[str, str]  # contract column name -> header as written in the file


class _Matcher:
    def __init__(self, contract: Contract) -> None:
        self.exact: dict[str, str] = {}
        self.base: dict[str, tuple[str, str | None]] = {}
        for col in contract.columns:
            if col.derive:
                continue  # computed by the warehouse, never a column of the department's file
            for spelling in (col.header, *col.aliases):
                folded = fold(spelling)
                self.exact[folded] = col.name
                base, unit = _base(folded)
                self.base.setdefault(base, (col.name, unit))

    def match(self, cell: Any) -> tuple[str | None, bool]:
        """(column name, unit differs) for a header cell."""
        folded = fold(cell) if cell is not None else ""
        if not folded:
            return None, False
        if folded in self.exact:
            return self.exact[folded], False
        base, unit = _base(folded)
        if base in self.base:
            name, expected_unit = self.base[base]
            return name, unit is not None and expected_unit is not None and unit != expected_unit
        return None, False


def find_layout(rows: list[Row], contract: Contract) -> tuple[Layout | None, list[Problem]]:
    """The best header among the first rows, and the problems with it."""
    matcher = _Matcher(contract)
    best: tuple[int, int] | None = None  # (matches, index in rows)
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        matches = len({name for name, _ in map(matcher.match, cells) if name})
        if matches >= 2 and (best is None or matches > best[0]):
            best = (matches, index)
    if best is None:
        return None, []
    number, cells = rows[best[1]]
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(cells):
        name, wrong_unit = matcher.match(cell)
        if not name:
            continue
        col = contract.column(name)
        if wrong_unit:
            problems.append(Problem.of("wrong_unit", number, col.header, str(cell).strip()))
            continue
        if name in headers:
            problems.append(Problem.of("duplicate_column", number, col.header, f"{headers[name]} / {cell}"))
            continue
        columns[index] = name
        headers[name] = str(cell).strip()
    expected = "、".join(c.header for c in contract.columns if not c.derive)
    for col in contract.columns:
        if col.name not in headers and not (col.optional or col.derive):
            problems.append(Problem.of("missing_column", number, col.header, None, allowed=expected))
    return Layout(number, columns, headers), problems


def _first_cell(cells: list[Any]) -> Any:
    """The first non-blank cell, or None for a blank row (cheap: no folding)."""
    for cell in cells:
        if cell is not None and (type(cell) is not str or cell.strip()):
            return cell
    return None


def _maybe_skippable(cell: Any) -> bool:
    """Could this cell start a totals or footer row? Only those are folded and compared."""
    return type(cell) is str and cell.strip()[:1] in SKIP_STARTS


def _maybe_skippable_any(cells: list[Any]) -> bool:
    try:  # one C-level join and search per row: most rows are plain CSV text
        return _SKIP_HEAD.search("\x00".join(cells)) is not None
    except TypeError:  # numbers or dates from a workbook
        return any(_maybe_skippable(cell) for cell in cells)


def is_data_row(cells: list[Any], seen_data: bool) -> bool:
    """Does this row below the header carry data? Blank, totals, footer rows are skipped, and a
    units row before the first data row (`seen_data`: a data row came before)."""
    first = _first_cell(cells)
    if first is None:
        return False  # blank row
    if _maybe_skippable(first) or _maybe_skippable_any(cells[:3]):
        folded = fold(first)
        if any(c is not None and fold(c) in _TOTALS for c in cells[:3]) or folded.startswith("合计"):
            return False  # totals row: the warehouse adds up for itself
        if folded.startswith(_FOOTER_PREFIXES):
            return False  # 填报单位 / 填报人 / 联系电话 footer
    # a units row under the header
    return seen_data or not all(_UNIT_CELL.fullmatch(fold(c)) for c in cells if c is not None and fold(c))


def data_rows(rows: Iterator[Row], layout: Layout, seen_data: bool = False) -> Iterator[Row]:
    """Rows below the header that carry data (blank, totals, footer and units rows skipped)."""
    for number, cells in rows:
        if number <= layout.header_row:
            continue
        if is_data_row(cells, seen_data):
            seen_data = True
            yield number, cells
