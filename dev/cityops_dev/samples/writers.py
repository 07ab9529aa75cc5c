"""Writing a sheet the way a department's Excel would: titles, units, totals, footers.

Rows may be any iterable, so a million-ticket hotline month streams straight from its
generator into `csv.writer` without ever being a list.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cityops.contracts import get_contract
from cityops.periods import next_month
from cityops.report.forms import freeze_workbook

FOOTER = "填报单位：{department}    填报人：{clerk}    联系电话：{phone}"


@dataclass
class Sheet:
    """One extract: its header, rows, and the house style of the department sending it."""

    title: str | None
    header: list[str]
    rows: Iterable[list[Any]]
    format: str = "xlsx"  # xlsx | csv
    encoding: str = "utf-8-sig"  # for CSV: utf-8, utf-8-sig, gbk, gb18030
    delimiter: str = ","
    subtitle: str | None = None  # a second title line: 统计月份 / 填报口径
    units: list[Any] | None = None  # a units row under the header
    totals: list[Any] | None = None  # a 合计 row as departments add it
    footer: str | None = FOOTER
    department: str = ""
    clerk: str = "王敏"
    phone: str = "021-62520000"
    blank_row_after_title: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def form_headers(dataset: str) -> list[str]:
    """The headers of the form a department fills: the contract's columns, in its order (derived ones
    are computed by the warehouse). Every generator writes its rows in this order."""
    from cityops.report.forms import form_columns

    return [col.header for col in form_columns(get_contract(dataset))]


def _lines(sheet: Sheet) -> Iterator[list[Any]]:
    if sheet.title:
        yield [sheet.title]
    if sheet.subtitle:
        yield [sheet.subtitle]
    if sheet.title and sheet.blank_row_after_title:
        yield []
    yield sheet.header
    if sheet.units is not None:
        yield sheet.units
    yield from sheet.rows
    if sheet.totals is not None:
        yield sheet.totals
    if sheet.footer:
        yield [sheet.footer.format(department=sheet.department, clerk=sheet.clerk, phone=sheet.phone)]


def _write_xlsx(path: Path, lines: Iterable[list[Any]], stamp: dt.datetime) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报表")
    for line in lines:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    freeze_workbook(buffer, path, stamp)


def _write_csv(path: Path, lines: Iterable[list[Any]], encoding: str, delimiter: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(lines)


def write_extract(sheet: Sheet, folder: Path, month: dt.date, rng: random.Random | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{month:%Y-%m}.{sheet.format}"
    lines = _lines(sheet)
    if sheet.format == "xlsx":
        # Saved on the 5th of the following month, as departments file by the 10th.
        _write_xlsx(path, lines, dt.datetime.combine(next_month(month).replace(day=5), dt.time(9, 30)))
    else:
        _write_csv(path, lines, sheet.encoding, sheet.delimiter)
    return path
