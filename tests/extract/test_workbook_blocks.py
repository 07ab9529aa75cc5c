"""A workbook's rows travel from the reader's child as Arrow columns (extract/cellblock.py).

Every workbook here is read twice, by the column path and by the row path (the rows rebuilt
from the blocks, then transposed and parsed cell by cell, as before), and the two must agree
on every row number, stored value and problem. Blocks are made tiny so that blank, totals and
units rows, and cells of every kind calamine gives, fall on block boundaries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from python_calamine import load_workbook

from cityops.contracts import get_contract
from cityops.extract import cellblock, workbook
from cityops.extract.pii import PersonalHasher
from cityops.extract.reader import canonical_chunks, open_extract
from cityops.extract.sheets import sheets
from cityops.extract.sniff import sniff
from cityops.problems import ProblemLog
from cityops.settings import Home
from tests.fixtures.garbage import table, write_xls, write_xlsx

HOTLINE = get_contract("hotline_cases")
GARBAGE = get_contract("garbage_sorting")
TITLE = "长宁区12345市民服务热线工单明细（2025年3月）"


def _ticket(i: int) -> list[Any]:
    at = dt.datetime(2025, 3, 1 + i % 28, 8, i % 60, i % 7, 1000 * (i % 3))
    return [
        f"20250300{i:05d}" if i % 5 else 2025030000000 + i,  # an id typed in as a number
        at if i % 4 else at.strftime("%Y-%m-%d %H:%M:%S"),
        ["电话", "网站", "微信", "APP", "传真"][i % 5],  # 传真: not in the list
        ["投诉", "求助", "咨询"][i % 3],
        "市容环卫",
        "道路保洁" if i % 4 else "",
        ["华阳路街道", "新泾镇", "", "天山路", " 江苏路街道"][i % 5],
        f"愚园路{i}号",
        "x" * 4001 if i == 23 else f"反映愚园路{i}号垃圾，要求处理。",
        ["13800000000", "+86 139-0000-0001", "", 13800000001][i % 4],
        "区绿化市容局",
        at.date() if i % 6 == 0 else at + dt.timedelta(hours=1),  # a date cell among datetimes
        at + dt.timedelta(days=1) if i % 3 else "",
        "已办结" if i % 3 else True,  # a bool where text belongs
        "是" if i % 3 else "",
        "满意",
    ]


def _hotline_lines(count: int = 60) -> list[list[Any]]:
    tickets = [_ticket(i) for i in range(count)]
    tickets[13] = ["", "", "", *tickets[13][3:]]  # the first three cells blank
    tickets[17] = ["\u3000", *tickets[17][1:]]  # an ideographic space
    tickets[19] = ["小计", None, None, *[None] * 13]  # a subtotal row in the middle
    tickets[21] = [dt.datetime(2025, 3, 1), *tickets[21][1:]]  # a datetime leads the row
    tickets[25] = [*tickets[25][:1], dt.datetime(1000, 1, 1), *tickets[25][2:]]  # no Arrow fast path
    lines: list[list[Any]] = [[TITLE], [], [c.header for c in HOTLINE.columns]]
    lines += tickets[:30] + [[]] + tickets[30:]
    lines += [["合计", 60], [], ["填报单位：区城运中心    填报人：王敏"], [], []]
    return lines


def _read(path: Path, contract, *, columns: bool, hasher: PersonalHasher | None = None) -> tuple:
    log = ProblemLog()
    extract = open_extract(path, contract, log)
    assert extract is not None, log.errors
    assert extract.blocks is not None
    if not columns:
        extract = dataclasses.replace(extract, blocks=None)  # the rows, parsed as before
    numbers: list[int] = []
    stored: list[list[Any]] = [[] for _ in contract.columns]
    for chunk in canonical_chunks(extract, contract, log, hasher):
        numbers += [int(n) for n in chunk.numbers]
        for values, array in zip(stored, chunk.columns, strict=True):
            values += array.to_pylist()
    return numbers, stored, log.errors + log.warnings, dict(log.counts)


def _agree(path: Path, contract, monkeypatch: pytest.MonkeyPatch, block: int = 7, hasher=None) -> tuple:
    monkeypatch.setattr(workbook, "BLOCK_ROWS", block)  # read by the child, forked after this
    fast = _read(path, contract, columns=True, hasher=hasher)
    slow = _read(path, contract, columns=False, hasher=hasher)
    assert fast[0] == slow[0], "row numbers"
    assert fast[1] == slow[1], "stored values"
    assert fast[2] == slow[2], "problems kept"
    assert fast[3] == slow[3], "problem counts"
    return fast


@pytest.mark.parametrize("block", [1, 7, 4096])
def test_a_messy_hotline_month_reads_the_same_both_ways(tmp_path, monkeypatch, block):
    path = write_xlsx(tmp_path / "2025-03.xlsx", _hotline_lines())
    monkeypatch.setenv("CITYOPS_PII_KEY", "k")
    hasher = PersonalHasher(Home(tmp_path))  # callers' numbers, text and numeric cells, hashed
    numbers, stored, kept, _ = _agree(path, HOTLINE, monkeypatch, block, hasher)
    assert numbers[0] == 4 and 34 not in numbers and 35 in numbers  # title, blank, header; a blank row
    assert len(numbers) == 59  # 60 tickets, less the subtotal row
    assert {p.rule for p in kept} >= {"wrong_type", "not_in_list", "too_long"}
    assert stored[1][1] == "2025-03-02T08:01:01+08:00"  # a datetime cell, microseconds dropped


def test_a_sheet_whose_first_column_is_empty_reads_the_same_both_ways(tmp_path, monkeypatch):
    """Every row is doubtful (its first cell is blank): the block's rows are made all at once."""
    lines = [[None, *line] for line in _hotline_lines(300)]
    numbers, *_ = _agree(write_xlsx(tmp_path / "2025-03.xlsx", lines), HOTLINE, monkeypatch, block=128)
    assert len(numbers) == 299


def test_xls_and_numbers_read_the_same_both_ways(tmp_path, monkeypatch):
    rows = [[*row] for row in table()]
    rows[4][2] = "1,234.5"  # a number written as text among float cells
    rows[5][3] = ""
    rows[6][0] = dt.date(2025, 3, 1)
    rows[7][6] = True
    rows += [["单位：吨"], *table(title=False, footer=False, totals=False)[1:]]
    for path in (write_xlsx(tmp_path / "2025-03.xlsx", rows), write_xls(tmp_path / "2025-03.xls", rows)):
        numbers, *_ = _agree(path, GARBAGE, monkeypatch, block=3)
        assert len(numbers) == 21  # a units row below data rows is data (and wrong)


def test_random_workbooks_read_the_same_both_ways(tmp_path, monkeypatch):
    rng = random.Random(15)
    cells = [
        "",
        " ",
        "\u3000",
        "合计",
        "小计",
        "填报人：王",
        "单位：吨",
        "-",
        None,
        0.0,
        -1.5,
        True,
        dt.date(2025, 3, 2),
    ]
    for attempt in range(8):
        lines: list[list[Any]] = [[TITLE], [c.header for c in HOTLINE.columns]]
        for i in range(rng.randint(1, 80)):
            row = _ticket(i)
            for _ in range(rng.randint(0, 3)):
                row[rng.randrange(len(row))] = rng.choice(cells)
            lines.append(row)
            if rng.random() < 0.05:
                lines.append([])
        _agree(write_xlsx(tmp_path / f"{attempt}.xlsx", lines), HOTLINE, monkeypatch, block=rng.randint(1, 9))


def test_rows_are_the_cells_calamine_gives(tmp_path, monkeypatch):
    """Every other reader of a workbook's rows (header search, marked copies) sees calamine's cells."""
    monkeypatch.setattr(workbook, "BLOCK_ROWS", 11)
    monkeypatch.setattr(cellblock, "_ROWS_AT_ONCE", 3)  # rows are made a few at a time
    path = write_xlsx(tmp_path / "2025-03.xlsx", _hotline_lines())
    expected = load_workbook(str(path)).get_sheet_by_index(0).to_python()
    got = list(next(sheets(path, sniff(path))))
    assert [number for number, _ in got] == list(range(1, len(expected) + 1))
    assert [cells for _, cells in got] == expected
    assert [[type(c) for c in cells] for _, cells in got] == [[type(c) for c in cells] for cells in expected]
