"""Cell parsers: one messy cell in, its canonical text (as stored) out, or the reason not.

Each parser accepts every honest spelling departments use (full-width digits, `1,234.5`,
`68%`, `2025年3月`, an Excel date, `Ⅳ类`, `华阳路`) and returns the canonical form the
warehouse stores. What it cannot read becomes a `Refusal` naming the rule; the messages
are written elsewhere (validate/messages.py) so the wording lives in one place.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from cityops.contracts import Column
from cityops.periods import SHANGHAI
from cityops.reference import DISTRICT, reference_lookup, street_lookup
from cityops.textnorm import fold, tidy

BLANKS = {"", "-", "--", "—", "–", "－", "/", "\\", "n/a", "null", "none", "无"}
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_WATER_CLASSES = {"i": "Ⅰ", "ii": "Ⅱ", "iii": "Ⅲ", "iv": "Ⅳ", "v": "Ⅴ", "劣v": "劣Ⅴ"}
WATER_CLASSES = tuple(_WATER_CLASSES.values())  # GB 3838 classes, best to worst
_ARABIC_CLASSES = {"1": "i", "2": "ii", "3": "iii", "4": "iv", "5": "v"}
_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
]
_MONTH_PATTERNS = [
    re.compile(r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?(?:份)?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})"),
]
_DATE_TIME_SPLIT = re.compile(r"\s+|(?<=\d)t(?=\d)")
_TIME = re.compile(r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?")
_NUMERIC_TYPE = re.compile(r"numeric\((\d+),\s*(\d+)\)")
_BIGINT = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Refusal:
    """Why a cell cannot be read: the rule it breaks and what the contract allows."""

    rule: str
    allowed: str = ""


Parsed = tuple[str | None, Refusal | None]


def is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and fold(cell) in BLANKS)


def _number_text(cell: Any, *, percent: bool = False) -> str | None:
    """The digits of a number cell, or None when it is not a number."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)):
        return repr(cell) if isinstance(cell, float) else str(cell)
    text = fold(cell)
    if percent and text.endswith("%"):
        text = text[:-1]
    if not _NUMBER.fullmatch(text):
        return None
    return text.replace(",", "")


def _integer_digits_allowed(col: Column) -> int | None:
    """numeric(18,2) keeps 16 digits before the point; a bigger value would fail the whole COPY."""
    match = _NUMERIC_TYPE.fullmatch(col.sql_type)
    return int(match[1]) - int(match[2]) if match else None


def parse_decimal(cell: Any, col: Column) -> Parsed:
    refused = None, Refusal("wrong_type", "number")
    text = _number_text(cell, percent=col.type == "pct")
    if text is None:
        return refused
    try:
        value = Decimal(text)
        if not value.is_finite():  # NaN and ±Infinity: an Excel float cell can hold them
            return refused
        scale = col.scale if col.scale is not None else (4 if col.type == "pct" else None)
        if scale is not None:
            # Excel stores 12.3 as 12.299999999; the contract's scale is the precision sent.
            value = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds
        return refused
    digits = _integer_digits_allowed(col)
    if digits is not None and value and value.adjusted() >= digits:
        return refused
    if value.is_zero():
        value = abs(value)  # "-0" is 0
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f"), None


def parse_int(cell: Any, col: Column) -> Parsed:
    refused = None, Refusal("wrong_type", "whole number")
    text = _number_text(cell)
    if text is None:
        return refused
    try:
        value = Decimal(text)
        if not value.is_finite() or value != value.to_integral():
            return refused
    except InvalidOperation:
        return refused
    if not _BIGINT[0] <= value <= _BIGINT[1]:
        return refused
    return str(int(value)), None


def _excel_serial(cell: Any) -> dt.datetime | None:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and 20000 < cell < 80000:
        return dt.datetime.combine(_EXCEL_EPOCH, dt.time()) + dt.timedelta(days=float(cell))
    return None


def _as_datetime(cell: Any) -> dt.datetime | None:
    """Excel date/datetime cells and serial numbers; strings are handled by the patterns."""
    if isinstance(cell, dt.datetime):
        return cell
    if isinstance(cell, dt.date):
        return dt.datetime.combine(cell, dt.time())
    return _excel_serial(cell)


def _date_from_text(text: str) -> tuple[dt.date, str] | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
            return day, text[match.end() :]
    return None


def _day_and_clock(cell: Any) -> tuple[dt.date, re.Match | None] | None:
    """A written date with an optional time: `2025/3/1 8:12`, `2025-03-01T08:12:00`, `2025年3月1日`.

    The date and the time are split on the space (or T) first: folding the space away
    would read `2025/3/1 18:12` as the 11th.
    """
    text = unicodedata.normalize("NFKC", str(cell)).strip().lower()
    parts = _DATE_TIME_SPLIT.split(text, maxsplit=1)
    dated = _date_from_text(fold(parts[0]))
    if not dated or dated[1]:
        return None
    if len(parts) == 1:
        return dated[0], None
    clock = _TIME.fullmatch(fold(parts[1]))
    return (dated[0], clock) if clock else None


def parse_month(cell: Any, col: Column) -> Parsed:
    moment = _as_datetime(cell)
    if moment is not None:
        return moment.date().replace(day=1).isoformat(), None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        cell = str(int(cell)) if float(cell).is_integer() else str(cell)
    text = fold(cell)
    for pattern in _MONTH_PATTERNS:
        match = pattern.fullmatch(text)
        if match and 1 <= int(match["m"]) <= 12 and int(match["y"]) >= 1:  # no year 0000
            return dt.date(int(match["y"]), int(match["m"]), 1).isoformat(), None
    dated = _day_and_clock(cell)
    if dated:
        return dated[0].replace(day=1).isoformat(), None
    return None, Refusal("wrong_type", "month")


def parse_date(cell: Any, col: Column) -> Parsed:
    moment = _as_datetime(cell)
    if moment is not None:
        return moment.date().isoformat(), None
    dated = _day_and_clock(cell)
    if dated:
        return dated[0].isoformat(), None
    return None, Refusal("wrong_type", "date")


def parse_datetime(cell: Any, col: Column) -> Parsed:
    moment = _as_datetime(cell)
    if moment is None:
        dated = _day_and_clock(cell)
        if not dated:
            return None, Refusal("wrong_type", "datetime")
        day, clock = dated
        try:
            moment = dt.datetime.combine(
                day,
                dt.time(int(clock["H"]), int(clock["M"]), int(clock["S"] or 0)) if clock else dt.time(),
            )
        except ValueError:
            return None, Refusal("wrong_type", "datetime")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)  # departments write Shanghai local time
    return moment.replace(microsecond=0).isoformat(), None


def parse_street(cell: Any, col: Column) -> Parsed:
    folded = fold(cell)
    if col.allow_district and folded in {fold(DISTRICT), fold("长宁区"), fold("全区合计")}:
        return DISTRICT, None
    street = street_lookup().get(folded)
    if street is None:
        return None, Refusal("unknown_street")
    return street, None


def parse_enum(cell: Any, col: Column) -> Parsed:
    folded = fold(cell)
    for value in col.values:
        if fold(value) == folded:
            return value, None
    return None, Refusal("not_in_list")


def parse_water_class(cell: Any, col: Column) -> Parsed:
    text = fold(cell).removesuffix("类水").removesuffix("类").removesuffix("水")
    worse = text.startswith("劣")
    text = text.removeprefix("劣")
    text = _ARABIC_CLASSES.get(text, text)
    canonical = _WATER_CLASSES.get(("劣" if worse else "") + text)
    if canonical is None:
        return None, Refusal("not_in_list")
    return canonical, None


def parse_text(cell: Any, col: Column) -> Parsed:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # an id typed into Excel as a number: 1024.0 -> "1024"
    text = tidy(cell)
    if col.reference:
        canonical = reference_lookup(col.reference).get(fold(text))
        if canonical is None:
            return None, Refusal("not_in_reference")
        return canonical, None
    if col.max_length and len(text) > col.max_length:
        return None, Refusal("too_long", str(col.max_length))
    return text, None


PARSERS = {
    "month": parse_month,
    "date": parse_date,
    "datetime": parse_datetime,
    "int": parse_int,
    "decimal": parse_decimal,
    "pct": parse_decimal,
    "street": parse_street,
    "enum": parse_enum,
    "water_class": parse_water_class,
    "text": parse_text,
}


def parse_cell(cell: Any, col: Column) -> Parsed:
    """A cell in its canonical stored form; blanks resolved by the contract's `blank`."""
    if (col.type == "text" and (cell is None or tidy(cell) == "")) or (col.type != "text" and is_blank(cell)):
        if col.blank == "zero":
            return "0", None
        if col.blank == "null":
            return None, None
        return None, Refusal("required")
    return PARSERS[col.type](cell, col)
