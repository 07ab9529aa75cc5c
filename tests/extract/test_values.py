"""Cell parsers: the spellings departments write, and the traps between them."""

from __future__ import annotations

import pytest

from cityops.contracts import get_contract
from cityops.extract.columns import ColumnReader
from cityops.extract.values import parse_cell

RECEIVED = get_contract("hotline_cases").column("received_at")
PERIOD = get_contract("garbage_sorting").column("period")


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("2025/3/1 18:12", "2025-03-01T18:12:00+08:00"),  # Excel's Chinese CSV export: not the 11th
        ("2025/3/1 8:12", "2025-03-01T08:12:00+08:00"),
        ("2025-03-01T08:12:00", "2025-03-01T08:12:00+08:00"),
        ("2025年3月1日 08:12", "2025-03-01T08:12:00+08:00"),
        ("２０２５－０３－０１　０８：１２：００", "2025-03-01T08:12:00+08:00"),
    ],
)
def test_datetimes_split_date_from_time_before_folding(cell, stored):
    assert parse_cell(cell, RECEIVED) == (stored, None)


@pytest.mark.parametrize("cell", ["2025-02-30 10:00:00", "2025/3/1 25:00", "昨天", "2025-03-01 8时"])
def test_impossible_datetimes_are_refused(cell):
    value, refusal = parse_cell(cell, RECEIVED)
    assert value is None and refusal.rule == "wrong_type"


@pytest.mark.parametrize("cell", ["2025/3/1 0:00", "2025年3月", "202503", "2025-03-01 00:00:00", "2025.3"])
def test_months_with_or_without_a_day_and_time(cell):
    assert parse_cell(cell, PERIOD) == ("2025-03-01", None)


def test_the_column_reader_gives_what_the_cell_parser_gives():
    cells = [
        "2025-03-01 08:12:00",
        "2025-03-01 24:00:00",
        "2025-02-29 10:00:00",
        " 2025-03-02 09:00:00",
        "2025/3/1 18:12",
        "",
        None,
        "2025-03-31 23:59:59",
    ]
    problems: list[tuple[int, str]] = []
    fast = ColumnReader(RECEIVED).read(cells, lambda index, cell, refusal: problems.append((index, refusal.rule)))
    assert fast.to_pylist() == [parse_cell(c, RECEIVED)[0] for c in cells]
    assert problems == [
        (i, parse_cell(c, RECEIVED)[1].rule) for i, c in enumerate(cells) if parse_cell(c, RECEIVED)[1] is not None
    ]


HEADER_TEXT = get_contract("hotline_cases").column("description")
CHANNEL = get_contract("hotline_cases").column("channel")


@pytest.mark.parametrize(
    ("col", "cells"),
    [
        (HEADER_TEXT, [" 噪声扰民 ", "\u3000路灯不亮\u3000", "", None, "x" * 5000, "多行\n内容", "\xa0a\x1c"]),
        (CHANNEL, ["电话", " 微信 ", "ＡＰＰ", "传真", "", None, "电话"]),
        (RECEIVED, ["2025-02-28 23:59:59", "2025-02-29 00:00:00", "2025-03-01 23:59:60", "2025-3-1 1:02:03"]),
    ],
)
def test_every_fast_path_agrees_with_the_parser(col, cells):
    seen: list[tuple[int, str]] = []
    fast = ColumnReader(col).read(cells, lambda index, cell, refusal: seen.append((index, refusal.rule)))
    expected = [parse_cell(c, col) for c in cells]
    assert fast.to_pylist() == [value for value, _ in expected]
    assert sorted(seen) == [(i, r.rule) for i, (_, r) in enumerate(expected) if r is not None]


def test_workbook_datetime_cells_read_by_arrow_as_the_parser_reads_them():
    import datetime as dt

    cells = [
        dt.datetime(2025, 3, 1, 8, 12),
        dt.datetime(2025, 3, 31, 23, 59, 59, 999_999),  # floored to the second, as the parser does
        None,
        dt.datetime(1969, 12, 31, 23, 59, 59, 500_000),  # before 1970: floor, not truncation
        dt.datetime(999, 1, 1),  # a year the kernels would not pad: the parser
        dt.datetime(9999, 12, 31, 23, 59, 59),
        "",  # a blank cell beside them, and text: the parser
        "2025/3/1 18:12",
        45717.5,  # an Excel serial number
        "昨天",
    ]
    seen: list[tuple[int, str]] = []
    fast = ColumnReader(RECEIVED).read(cells, lambda index, cell, refusal: seen.append((index, refusal.rule)))
    expected = [parse_cell(c, RECEIVED) for c in cells]
    assert fast.to_pylist() == [value for value, _ in expected]
    assert seen == [(i, r.rule) for i, (_, r) in enumerate(expected) if r is not None]
