"""Reporting months and their due dates: the one place the district's calendar is written.

A period is a calendar month, written `YYYY-MM` on the command line and in file names,
and held as the `date` of its first day. A department reports month M by the end of
the 10th of month M+1, Shanghai time (the plan's submission rule); the 11th at 00:00 is
the first late moment. Month arithmetic is pendulum's, so December rolls into January.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pendulum

from cityops.errors import UsageError

# China Standard Time, a fixed UTC+8: China has kept no summer time since 1991, and a fixed
# offset renders the same for any year (a zone database would give 1900 its local mean time).
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
DUE_DAY = 10
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
# A landing file is named with its month: 2025-03.xlsx, 2025-03_corrected.csv.
_FILE_MONTH = re.compile(r"(\d{4}-\d{2})")
# The same rule as a glob, for Airflow's FileSensor (relative to a dataset's landing folder).
FILE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]*"


def parse_period(text: str) -> dt.date:
    """`2025-03` -> date(2025, 3, 1); anything else is a usage error that shows the form."""
    match = _PERIOD.fullmatch(text or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise UsageError(f"--period must be a month as YYYY-MM (for example 2025-03), not '{text}'")
    return dt.date(int(match[1]), int(match[2]), 1)


def period_text(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def _month(value: dt.date) -> pendulum.Date:
    return pendulum.date(value.year, value.month, 1)


def _plain(value: pendulum.Date) -> dt.date:
    return dt.date(value.year, value.month, value.day)


def month_of(day: dt.date) -> dt.date:
    """The first day of the month `day` falls in."""
    return dt.date(day.year, day.month, 1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months after (or, negative, before) `month`'s."""
    return _plain(_month(month).add(months=count))


def next_month(month: dt.date) -> dt.date:
    return add_months(month, 1)


def previous_month(month: dt.date) -> dt.date:
    return add_months(month, -1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from `first` to `last`, both included (empty when last is before first)."""
    found, month = [], month_of(first)
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


def month_start_at(month: dt.date) -> dt.datetime:
    """Midnight, Shanghai time, on the first day of `month`."""
    return dt.datetime.combine(month_of(month), dt.time(), SHANGHAI)


def due_on(month: dt.date) -> dt.date:
    """The last day a month's extract is on time: the 10th of the following month."""
    return next_month(month).replace(day=DUE_DAY)


def due_at(month: dt.date) -> dt.datetime:
    """The first late moment for `month`: the 11th of the next month, 00:00 Shanghai."""
    return dt.datetime.combine(due_on(month) + dt.timedelta(days=1), dt.time(), SHANGHAI)


def now() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of `day` in Shanghai: "as of" a day means at its end."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), SHANGHAI)


def period_of_file(path: Path | str) -> str | None:
    """The month a landing file is for, from its name (`2025-03…`), or None if it names none."""
    match = _FILE_MONTH.match(Path(path).name)
    if not match:
        return None
    try:
        parse_period(match[1])
    except UsageError:
        return None
    return match[1]
