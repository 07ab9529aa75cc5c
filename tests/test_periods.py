"""Months and due dates, written once (cityops.periods): the calendar every part of cityops uses."""

from __future__ import annotations

import datetime as dt

import pytest

from cityops.errors import UsageError
from cityops.periods import (
    SHANGHAI,
    add_months,
    due_at,
    due_on,
    month_start_at,
    months_between,
    next_month,
    parse_period,
    period_of_file,
    previous_month,
)


@pytest.mark.parametrize("text", ["2025-3", "2025-13", "2025-00", "March", "", "2025-03-01"])
def test_a_malformed_period_is_a_usage_error_that_shows_the_form(text):
    with pytest.raises(UsageError, match="YYYY-MM"):
        parse_period(text)


def test_month_arithmetic_rolls_over_the_year():
    assert parse_period("2025-03") == dt.date(2025, 3, 1)
    assert next_month(dt.date(2025, 12, 1)) == dt.date(2026, 1, 1)
    assert previous_month(dt.date(2025, 1, 1)) == dt.date(2024, 12, 1)
    assert previous_month(dt.date(2025, 3, 31)) == dt.date(2025, 2, 1)
    assert add_months(dt.date(2024, 1, 1), 14) == dt.date(2025, 3, 1)
    assert months_between(dt.date(2024, 11, 1), dt.date(2025, 2, 1)) == [
        dt.date(2024, 11, 1),
        dt.date(2024, 12, 1),
        dt.date(2025, 1, 1),
        dt.date(2025, 2, 1),
    ]
    assert months_between(dt.date(2025, 2, 1), dt.date(2025, 1, 1)) == []


def test_a_month_is_due_by_the_end_of_the_tenth_of_the_next_in_shanghai():
    assert due_on(dt.date(2025, 12, 1)) == dt.date(2026, 1, 10)
    assert due_at(dt.date(2025, 3, 1)) == dt.datetime(2025, 4, 11, tzinfo=SHANGHAI)
    assert dt.datetime(2025, 4, 10, 15, 59, tzinfo=dt.UTC) < due_at(dt.date(2025, 3, 1))
    assert month_start_at(dt.date(2025, 3, 1)).isoformat() == "2025-03-01T00:00:00+08:00"


@pytest.mark.parametrize(
    ("name", "period"),
    [
        ("2025-03.xlsx", "2025-03"),
        ("2025-03_corrected.csv", "2025-03"),
        ("2025-13.xlsx", None),
        ("march.xlsx", None),
        ("x2025-03.xlsx", None),
    ],
)
def test_a_landing_file_is_for_the_month_its_name_starts_with(name, period):
    assert period_of_file(name) == period
