"""Real-shaped department files for tests: a clean garbage_sorting month, and ways to spoil it.

Files are written as departments make them (openpyxl for .xlsx, xlwt for .xls, CSV in
the encodings Excel uses), so each test reads a real file through the real reader.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

HEADER = [
    "统计月份",
    "街镇",
    "干垃圾（吨）",
    "湿垃圾（吨）",
    "可回收物（吨）",
    "有害垃圾（吨）",
    "资源化利用率（%）",
    "居住区总数",
    "分类达标居住区数",
    "沿街商铺上门收集户数",
]
STREETS = [
    "华阳路街道",
    "江苏路街道",
    "新华路街道",
    "周家桥街道",
    "天山路街道",
    "仙霞新村街道",
    "虹桥街道",
    "程家桥街道",
    "北新泾街道",
    "新泾镇",
]
AREAS = [70, 52, 81, 60, 88, 101, 84, 42, 74, 87]  # 739, the plan's count
TITLE = "长宁区2025年3月生活垃圾分类情况统计表"
FOOTER = "填报单位：区绿化市容局    填报人：王敏    联系电话：021-62520000"


def garbage_rows(period: Any = "2025-03", scale: float = 1.0) -> list[list[Any]]:
    rows = []
    for i, (street, areas) in enumerate(zip(STREETS, AREAS, strict=True)):
        residual = round((2000 + 97 * i) * scale, 2)
        rows.append(
            [
                period,
                street,
                residual,
                round(residual * 0.4, 2),
                round(residual * 0.2, 2),
                round(0.1 + i / 100, 3),
                60 + i,
                areas,
                areas - (i % 2),
                500 + 10 * i,
            ]
        )
    return rows


def table(
    rows: list[list[Any]] | None = None,
    header: list[str] | None = None,
    *,
    title: bool = True,
    footer: bool = True,
    totals: bool = True,
) -> list[list[Any]]:
    """A sheet as a clerk lays it out: title, blank row, header, data, 合计, footer."""
    rows = garbage_rows() if rows is None else rows
    lines: list[list[Any]] = []
    if title:
        lines += [[TITLE], []]
    lines.append(header or HEADER)
    lines += rows
    if totals:
        lines.append(
            [
                "合计",
                "",
                *[round(sum(r[c] for r in rows if isinstance(r[c], float)), 3) for c in range(2, 6)],
                "",
                739,
                "",
                "",
            ]
        )
    if footer:
        lines.append([FOOTER])
    return lines


def write_xlsx(path: Path, lines: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "报表"
    for line in lines:
        sheet.append(line)
    book.save(path)
    return path


def write_xls(path: Path, lines: list[list[Any]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("报表")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, line in enumerate(lines):
        for c, value in enumerate(line):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def write_csv(path: Path, lines: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        for line in lines:
            writer.writerow(line)
    return path


def write(path: Path, lines: list[list[Any]], **options: Any) -> Path:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(path, lines)
    if suffix == ".xls":
        return write_xls(path, lines)
    return write_csv(path, lines, **options)
