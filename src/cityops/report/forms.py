"""Blank report forms (填报模板) generated from the contracts: what a department downloads.

Sheet 1 is the form: a title, the header row exactly as the contract spells it, and a
units row (which the reader skips). Sheet 2, 填写说明, says for each column what it takes.
A filled template is read like any other upload, because the reader takes the first
sheet with a header.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from cityops.contracts import Column, Contract, all_contracts

TYPE_WORDS = {
    "month": "月份（如 2025-03 或 2025年3月）",
    "date": "日期（如 2025-03-18）",
    "datetime": "日期时间（如 2025-03-18 09:30:00，北京时间）",
    "int": "整数",
    "decimal": "数值",
    "pct": "百分比（0–100，可写 68 或 68%）",
    "street": "街镇名称（十个街镇之一）",
    "enum": "下拉选项",
    "water_class": "水质类别（Ⅰ、Ⅱ、Ⅲ、Ⅳ、Ⅴ、劣Ⅴ）",
    "text": "文本",
}
# Templates carry a fixed date so regenerating them changes nothing unless a contract did.
STAMP = dt.datetime(2025, 1, 1, 9, 0)


def _unit(col: Column) -> str:
    if col.unit:
        return col.unit
    return "%" if col.type == "pct" else ""


def _rule(col: Column) -> str:
    parts = []
    if col.values:
        parts.append("可选：" + "、".join(col.values))
    if col.min is not None:
        parts.append(f"{'>' if col.min_exclusive else '≥'} {col.min:g}")
    if col.max is not None:
        parts.append(f"≤ {col.max:g}")
    if col.type == "street" and col.allow_district:
        parts.append("或“全区”")
    if col.personal:
        parts.append("个人信息：入库前加密处理")
    parts.append("必填" if col.required else "可空")
    return "；".join(parts)


def form_columns(contract: Contract) -> list[Column]:
    """The columns a department fills: derived ones are computed by the warehouse."""
    return [c for c in contract.columns if not getattr(c, "derive", None)]


def write_template(contract: Contract, folder: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = form_columns(contract)
    workbook = Workbook()
    form = workbook.active
    form.title = "报表"
    form.append([f"长宁区{contract.title_zh}（{'名录' if contract.submission == 'snapshot' else '20XX年X月'}）"])
    form.append([c.header for c in columns])
    form.append([_unit(c) for c in columns])
    for cell in form[2]:
        cell.font = Font(bold=True)
    for index, col in enumerate(columns, start=1):
        form.column_dimensions[form.cell(row=2, column=index).column_letter].width = max(10, len(col.header) * 2 + 2)
    form.freeze_panes = "A3"
    notes = workbook.create_sheet("填写说明")
    notes.append([f"{contract.title_zh}（{contract.title_en}）", f"填报部门：{contract.department}"])
    when = (
        "名录有变化时报送完整名录，整体替换上一版。"
        if contract.submission == "snapshot"
        else "每月一个文件，次月10日前报送；更正文件整体替换当月原文件。"
    )
    notes.append([f"粒度：{contract.grain}；{when}"])
    notes.append([])
    notes.append(["列名", "类型", "单位", "规则", "说明"])
    for col in columns:
        notes.append([col.header, TYPE_WORDS.get(col.type, col.type), _unit(col), _rule(col), col.description_zh])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{contract.dataset}.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    freeze_workbook(buffer, path, STAMP)
    return path


def write_templates(folder: Path, datasets: list[str] | None = None) -> list[Path]:
    return [
        write_template(contract, folder)
        for dataset, contract in all_contracts().items()
        if not datasets or dataset in datasets
    ]


def freeze_workbook(buffer: io.BytesIO, path: Path, stamp: dt.datetime) -> None:
    """Rewrite the workbook with fixed timestamps, so the same month and seed give the same bytes.

    openpyxl stamps docProps/core.xml and every zip entry with the time of saving; a
    regenerated sample would then differ from the committed one and load as a new batch.
    """
    when = f"{stamp:%Y-%m-%dT%H:%M:%SZ}"
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rf"\g<1>{when}", data.decode("utf-8"))
                data = text.encode("utf-8")
            target.writestr(zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
