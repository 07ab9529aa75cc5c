"""The report a clerk reads beside the file: what was found, where, and what to do, 中文 + English.

One notice, three occasions: a file sent back (rejected), a file loaded with warnings,
and a department's dry run (`cityops validate`). It is written as Markdown and as a
self-contained HTML page (for a clerk who opens it from a shared folder or an e-mail).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cityops.contracts import get_contract

if TYPE_CHECKING:
    from cityops.pipeline import Outcome
    from cityops.report.marked import MarkedCopy

TITLES = {
    "rejected": ("退回通知", "Rejection notice"),
    "warnings": ("入库提示", "Loaded, with warnings"),
    "dry_run": ("预检结果", "Check before submitting"),
}
SEVERITY = {"block": "错误 Error", "warn": "提示 Warning"}


@dataclass
class Notice:
    title: str
    facts: list[tuple[str, str]]
    intro: list[str]
    summary: list[list[str]]
    sections: list[tuple[str, list[list[str]]]]
    footer: list[str]


def _occasion(outcome: Outcome, dry_run: bool) -> str:
    if dry_run:
        return "dry_run"
    return "rejected" if outcome.status == "rejected" else "warnings"


def _intro(occasion: str, blocking: bool) -> list[str]:
    if occasion == "rejected":
        return [
            "本文件未入库，库中数据未作任何改动。请按下列问题修改原表后重新上报。",
            "The file was not loaded and nothing in the warehouse changed. "
            "Fix the problems below in your spreadsheet and upload it again.",
        ]
    if occasion == "warnings":
        return [
            "本文件已入库。下列提示不影响入库，但请逐条核对；如数据有误，请更正后重新上报，新文件将替换本月数据。",
            "The file was loaded. The warnings below did not stop it, but please check each one; if a figure is "
            "wrong, correct it and upload the file again: the new file replaces this month's data.",
        ]
    if blocking:
        return [
            "预检未通过：如现在上报，本文件将被退回。请按下列问题修改后再上报。本次预检未保存任何数据。",
            "This file would be rejected if you submitted it now. Fix the problems below first. "
            "Nothing was stored by this check.",
        ]
    return [
        "预检通过，可以上报。如有提示，请先核对。",
        "The file passes and can be submitted. Please check any warnings below.",
    ]


def build_notice(
    outcome: Outcome, file_name: str, *, dry_run: bool = False, marked: MarkedCopy | None = None
) -> Notice:
    contract = get_contract(outcome.dataset)
    occasion = _occasion(outcome, dry_run)
    zh, en = TITLES[occasion]
    facts = [
        ("文件 / File", file_name),
        ("数据集 / Dataset", f"{contract.title_zh} — {contract.title_en} ({contract.dataset})"),
        ("上报月份 / Month", outcome.period),
        ("填报部门 / Department", contract.department),
    ]
    if outcome.batch_id:
        facts.append(("批次 / Batch", outcome.batch_id))
    summary = [
        [SEVERITY.get(i["severity"], i["severity"]), i["rule"], i["column"] or "", str(i["count"])]
        for i in outcome.problems.summary()
    ]
    sections = []
    for title, problems in (
        ("错误（须更正）/ Errors (must fix)", outcome.problems.errors),
        ("提示（请核对）/ Warnings (please check)", outcome.problems.warnings),
    ):
        if problems:
            rows = [
                ["" if p.row is None else str(p.row), p.column or "", p.value or "", p.message_zh, p.message_en]
                for p in problems
            ]
            sections.append((title, rows))
    footer = []
    shown = len(outcome.problems.kept)
    total = sum(outcome.problems.counts.values())
    if total > shown:
        footer.append(
            f"（仅列出每类的前几条，共 {shown} 条；全部共 {total} 条。Only the first {shown} of {total} are listed.）"
        )
    if marked is not None and marked.path is not None:
        footer.append(
            f"标注副本 / Marked copy: {marked.path.name} — 有问题的单元格已标色并附批注。"
            "Each cell with a problem is coloured and has a comment."
        )
    elif marked is not None:
        footer.append(f"{marked.skipped_zh} {marked.skipped_en}")
    return Notice(
        f"{zh} / {en} — {contract.title_zh}（{outcome.period}）",
        facts,
        _intro(occasion, outcome.problems.blocking),
        summary,
        sections,
        footer,
    )


def _md(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(outcome: Outcome, file_name: str, **options) -> str:
    notice = build_notice(outcome, file_name, **options)
    lines = [f"# {notice.title}", ""]
    lines += [f"- {label}: {_md(value)}" for label, value in notice.facts]
    lines += ["", *[line for text in notice.intro for line in (text, "")]]
    if notice.summary:
        lines += [
            "## 问题汇总 / Summary",
            "",
            "| 级别 Severity | 规则 Rule | 列 Column | 数量 Count |",
            "|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(map(_md, row)) + " |" for row in notice.summary]
    for title, rows in notice.sections:
        lines += [
            "",
            f"## {title}",
            "",
            "| 行 Row | 列 Column | 值 Value | 说明 | Explanation |",
            "|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(map(_md, row)) + " |" for row in rows]
    if notice.footer:
        lines += ["", *notice.footer]
    return "\n".join(lines) + "\n"


def html_report(outcome: Outcome, file_name: str, **options) -> str:
    notice = build_notice(outcome, file_name, **options)
    e = html.escape

    def table(head: list[str], rows: list[list[str]]) -> str:
        cells = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(notice.title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #bbb;padding:4px 8px;vertical-align:top;text-align:left}th{background:#eee}</style>",
        "</head><body>",
        f"<h1>{e(notice.title)}</h1>",
        "<ul>" + "".join(f"<li>{e(label)}: {e(value)}</li>" for label, value in notice.facts) + "</ul>",
        *(f"<p>{e(text)}</p>" for text in notice.intro),
    ]
    if notice.summary:
        parts += [
            "<h2>问题汇总 / Summary</h2>",
            table(["级别 Severity", "规则 Rule", "列 Column", "数量 Count"], notice.summary),
        ]
    for title, rows in notice.sections:
        parts += [f"<h2>{e(title)}</h2>", table(["行 Row", "列 Column", "值 Value", "说明", "Explanation"], rows)]
    parts += [f"<p>{e(text)}</p>" for text in notice.footer]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
