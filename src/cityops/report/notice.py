"""The rejection report a clerk reads: what was wrong, where, and what to do, 中文 + English."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cityops.contracts import get_contract

if TYPE_CHECKING:
    from cityops.pipeline import Outcome


def _cell(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(outcome: Outcome, file_name: str) -> str:
    contract = get_contract(outcome.dataset)
    errors, warnings = outcome.problems.errors, outcome.problems.warnings
    lines = [
        f"# 退回通知 / Rejection notice — {contract.title_zh}（{outcome.period}）",
        "",
        f"- 文件 / File: `{file_name}`",
        f"- 数据集 / Dataset: {contract.dataset} — {contract.title_en}",
        f"- 填报部门 / Department: {contract.department}",
        f"- 批次 / Batch: {outcome.batch_id}",
        "",
        "本文件未入库，库中数据未作任何改动。请按下列问题修改原表后重新上报。",
        "The file was not loaded and nothing in the warehouse changed. "
        "Fix the problems below in your spreadsheet and upload it again.",
        "",
        "## 问题汇总 / Summary",
        "",
        "| 级别 Severity | 规则 Rule | 列 Column | 数量 Count |",
        "|---|---|---|---|",
    ]
    for item in outcome.problems.summary():
        lines.append(f"| {item['severity']} | {item['rule']} | {_cell(item['column'])} | {item['count']} |")
    for title, problems in (
        ("## 错误（须更正）/ Errors (must fix)", errors),
        ("## 提示（请核对）/ Warnings (please check)", warnings),
    ):
        if not problems:
            continue
        lines += ["", title, "", "| 行 Row | 列 Column | 值 Value | 说明 | Explanation |", "|---|---|---|---|---|"]
        for p in problems:
            lines.append(
                f"| {_cell(p.row)} | {_cell(p.column)} | {_cell(p.value)} | "
                f"{_cell(p.message_zh)} | {_cell(p.message_en)} |"
            )
    shown = len(errors) + len(warnings)
    total = sum(outcome.problems.counts.values())
    if total > shown:
        lines += ["", f"（仅列出前 {shown} 条，共 {total} 条。Only the first {shown} of {total} are listed.）"]
    return "\n".join(lines) + "\n"
