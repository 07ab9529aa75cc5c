"""The report a clerk reads beside the file: what was found, where, and what to do, 中文 + English.

One notice, three occasions: a file sent back (rejected), a file loaded with warnings,
and a department's dry run (`cityops validate`). It is written as Markdown and as a
self-contained HTML page (for a clerk who opens it from a shared folder or an e-mail),
from the templates report/templates/notice.md and notice.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cityops.contracts import get_contract
from cityops.outcomes import Outcome
from cityops.report.pages import render

if TYPE_CHECKING:
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


SUMMARY_HEAD = ["级别 Severity", "规则 Rule", "列 Column", "数量 Count"]
PROBLEM_HEAD = ["行 Row", "列 Column", "值 Value", "说明", "Explanation"]


def _render(template: str, outcome: Outcome, file_name: str, **options) -> str:
    notice = build_notice(outcome, file_name, **options)
    return render(template, notice=notice, summary_head=SUMMARY_HEAD, problem_head=PROBLEM_HEAD)


def markdown_report(outcome: Outcome, file_name: str, **options) -> str:
    return _render("notice.md", outcome, file_name, **options)


def html_report(outcome: Outcome, file_name: str, **options) -> str:
    return _render("notice.html", outcome, file_name, **options)
