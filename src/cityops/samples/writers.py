"""Writing a sheet the way a department's Excel would: titles, units, totals, footers."""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Sheet:
    """One extract: its header, rows, and the house style of the department sending it."""

    title: str
    header: list[str]
    rows: list[list[Any]]
    format: str = "xlsx"  # xlsx | csv
    encoding: str = "utf-8-sig"  # for CSV: utf-8, utf-8-sig, gbk, gb18030
    delimiter: str = ","
    totals: list[Any] | None = None  # a 合计 row as departments add it
    footer: str | None = "填报单位：{department}    填报人：王敏    联系电话：021-62520000"
    department: str = ""
    blank_row_after_title: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _lines(sheet: Sheet) -> list[list[Any]]:
    lines: list[list[Any]] = [[sheet.title]]
    if sheet.blank_row_after_title:
        lines.append([])
    lines.append(sheet.header)
    lines += sheet.rows
    if sheet.totals is not None:
        lines.append(sheet.totals)
    if sheet.footer:
        lines.append([sheet.footer.format(department=sheet.department)])
    return lines


def _write_xlsx(path: Path, lines: list[list[Any]]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报表")
    for line in lines:
        sheet.append(line)
    workbook.save(path)


def _write_csv(path: Path, lines: list[list[Any]], encoding: str, delimiter: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        for line in lines:
            writer.writerow(["" if v is None else v for v in line])


def write_extract(sheet: Sheet, folder: Path, month: dt.date, rng: random.Random) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{month:%Y-%m}.{sheet.format}"
    lines = _lines(sheet)
    if sheet.format == "xlsx":
        _write_xlsx(path, lines)
    else:
        _write_csv(path, lines, sheet.encoding, sheet.delimiter)
    return path
