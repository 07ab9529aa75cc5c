"""Normalising a chunk of rows a column at a time, fast enough for a million-row month.

Per-cell parsing (extract/values.py) stays the single definition of what a cell means;
this module only decides how often it runs: a value seen before in the column is not
parsed again (streets, enums, numbers repeat), and the two shapes that dominate ticket
files — plain text and `2025-03-05 14:23:11` — take a short path whose result is the
same as the parser's. Everything else falls back to the per-cell parser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from cityops.contracts import Column
from cityops.extract.values import Refusal, parse_cell

MEMO_LIMIT = 100_000  # distinct values remembered per column; ids and free text don't repeat

Report = Callable[[int, Any, Refusal], None]  # (index in chunk, raw cell, refusal)
Hasher = Callable[[str | None], str | None]


class ColumnReader:
    """One contract column: raw cells of a chunk in, canonical stored text (or None) out."""

    def __init__(self, col: Column, hasher: Hasher | None = None) -> None:
        self.col = col
        self.hasher = hasher if col.personal else None
        self.memo: dict[Any, tuple[str | None, Refusal | None]] = {}
        self.days: dict[str, bool] = {}
        self.short_path = {"datetime": self._datetime, "text": self._text}.get(col.type)
        if col.reference:
            self.short_path = None  # registry values are looked up (and remembered) instead

    def read(self, cells: list[Any], report: Report) -> list[str | None]:
        short, parse = self.short_path, self._parse
        out: list[str | None] = []
        for index, cell in enumerate(cells):
            value = short(cell) if short is not None and type(cell) is str else None
            if value is None:
                value, refusal = parse(cell)
                if refusal is not None:
                    report(index, cell, refusal)
            out.append(value)
        if self.hasher is not None:
            out = self._hashed(out)
        return out

    def _parse(self, cell: Any) -> tuple[str | None, Refusal | None]:
        key = cell if not isinstance(cell, list) else str(cell)
        parsed = self.memo.get(key)
        if parsed is None:
            parsed = parse_cell(cell, self.col)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[key] = parsed
        return parsed

    def _text(self, cell: str) -> str | None:
        text = cell.strip()
        if not text or (self.col.max_length and len(text) > self.col.max_length):
            return None  # blank or too long: the parser applies the contract's rule
        return text

    def _datetime(self, cell: str) -> str | None:
        """`YYYY-MM-DD HH:MM:SS`, the export every ticket system makes, without a regex."""
        if len(cell) != 19 or cell[10] != " " or cell[13] != ":" or cell[16] != ":":
            return None
        clock = cell[11:13] + cell[14:16] + cell[17:19]
        if not (clock.isdigit() and clock[:2] <= "23" and clock[2:4] <= "59" and clock[4:] <= "59"):
            return None
        day = cell[:10]
        valid = self.days.get(day)
        if valid is None:
            valid = self.days[day] = _is_iso_day(day)
        return f"{day}T{cell[11:]}+08:00" if valid else None

    def _hashed(self, values: list[str | None]) -> list[str | None]:
        hashes: dict[str, str | None] = {}
        out = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            digest = hashes.get(value)
            if digest is None:
                digest = hashes[value] = self.hasher(value)
            out.append(digest)
        return out


def _is_iso_day(text: str) -> bool:
    if not (text[4] == "-" and text[7] == "-" and (text[:4] + text[5:7] + text[8:]).isdigit()):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
