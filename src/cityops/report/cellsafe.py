"""Cells the project writes into a spreadsheet must never run as formulas.

A value that starts with =, +, -, @ (or a tab / carriage return) is read by Excel as a
formula: a department's text "=HYPERLINK(...)" or "@SUM(...)" copied back to a clerk
would run on their machine (CSV / formula injection). Such text is written as text,
with Excel's quote prefix so it stays text when the clerk edits the cell; a real number
such as "-3" is written as the number it is, so the clerk can correct it in place.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Only spellings that round-trip: "007" or a 16-digit id stay text (leading zeros, precision).
_NUMBER = re.compile(r"[+-]?(0|[1-9]\d{0,14})(\.\d+)?")


def is_dangerous(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TRIGGERS)


def plain_value(value: Any) -> Any:
    """A source cell as the copy should hold it: numbers as numbers, the rest as given."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a workbook cannot hold
        text = value.strip()
        if _NUMBER.fullmatch(text):
            number = float(text)
            return int(number) if "." not in text else number
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, (int, float, dt.date, dt.datetime, dt.time, bool)) or value is None:
        return value
    return str(value)


def put(cell: Cell, value: Any) -> Cell:
    """Write `value` into `cell` (also a write-only cell) so that it can never be a formula."""
    value = plain_value(value)
    cell.value = value
    if is_dangerous(value):
        cell.data_type = "s"  # openpyxl took it for a formula on assignment
        cell.quotePrefix = True
    return cell
