"""What the pages show, read from the warehouse (as the department's role) and the one calendar."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cityops import periods
from cityops.contracts import all_contracts
from cityops.errors import UsageError
from cityops.portal.accounts import Account
from cityops.report.calendar import STATE_WORDS, department_calendar, month_overview
from cityops.report.cellsafe import put

ATTENTION_DAYS = 3
OWED = {"due", "rejected", "missing"}


def _today() -> dt.date:
    return periods.now().astimezone(periods.SHANGHAI).date()


WINDOW = 12  # months on the calendar page


def calendar_until(text: str) -> dt.date:
    """The last month of the calendar's window: `?until=YYYY-MM`, never after this month; else this month."""
    this_month = periods.month_of(_today())
    try:
        return min(periods.parse_period(text), this_month) if text else this_month
    except UsageError:
        return this_month


def calendar(conn: psycopg.Connection, department: str, until: dt.date | None = None) -> dict[str, Any]:
    """The department's 12 months up to `until` (default: the last 12); what is due within 3 days or
    overdue, first; links to the 12 months before and after."""
    today = _today()
    last = until or periods.month_of(today)
    rows = department_calendar(conn, department, months=WINDOW, until=last)
    newer = min(periods.add_months(last, WINDOW), periods.month_of(today))
    attention = [
        r
        for r in rows
        if r.state in OWED and r.due_on and (dt.date.fromisoformat(r.due_on) - today).days <= ATTENTION_DAYS
    ]
    months: dict[str, list] = {}
    for r in rows:
        months.setdefault(r.period, []).append(r)
    return {
        "attention": attention,
        "months": months,
        "department": department,
        "today": today.isoformat(),
        "first": periods.period_text(periods.add_months(last, -(WINDOW - 1))),
        "last": periods.period_text(last),
        "earlier": periods.period_text(periods.add_months(last, -WINDOW)),
        "later": periods.period_text(newer) if last < periods.month_of(today) else None,
    }


def upload_choices(account: Account, dataset: str, period: str) -> dict[str, Any]:
    mine = sorted((c for c in all_contracts().values() if c.department == account.department),
                  key=lambda c: c.dataset)  # fmt: skip
    last = periods.previous_month(periods.month_of(_today()))
    return {
        "datasets": mine,
        "chosen_dataset": dataset if any(c.dataset == dataset for c in mine) else (mine[0].dataset if mine else ""),
        "chosen_period": period or periods.period_text(last),
    }


def upload(conn: psycopg.Connection, upload_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from portal.uploads where upload_id = %s", (upload_id,)).fetchone()


def answer_view(row: dict[str, Any]) -> dict[str, Any]:
    data = row["answer"] or {}
    problems = data.get("problems", [])
    per_rule = data.get("counts", [])
    total = data.get("total_problems", 0)
    listed = data.get("listed", len(problems))
    contract = all_contracts().get(row["dataset"])
    return {
        "data": data,
        "title": f"{contract.title_zh} / {contract.title_en}" if contract else row["dataset"],
        "problems": problems,
        "per_rule": per_rule,
        "errors": sum(c["count"] for c in per_rule if c["severity"] == "block"),
        "warnings": sum(c["count"] for c in per_rule if c["severity"] == "warn"),
        "more": max(total - listed, 0),
        "outcome_status": data.get("status") or row["status"],
        "shown_limit": 500,
    }


def history(conn: psycopg.Connection, dataset: str, month: dt.date) -> list[dict[str, Any]]:
    """Every version of a dataset-month, newest first: portal uploads and files from other routes."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select coalesce(b.received_at, u.created_at) as at, u.username, coalesce(b.file_sha256, u.file_sha256) "
            "as sha256, coalesce(b.status, u.state) as status, b.batch_id::text as batch_id, "
            "u.upload_id::text as upload_id, b.stored_file, b.rows, b.errors, b.warnings, u.file_name, "
            "b.report->>'report_folder' as report_folder, b.superseded_by::text as superseded_by "
            "from audit.ingest_batches b full join portal.uploads u on u.kept_file = b.source_file "
            "where coalesce(b.dataset, u.dataset) = %s and coalesce(b.period, u.period) = %s "
            "order by 1 desc",
            (dataset, month),
        ).fetchall()


def batch(conn: psycopg.Connection, batch_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select b.batch_id, b.dataset, b.period, b.stored_file, b.source_file, b.report->>'report_folder' "
            "as report_folder, (select u.upload_id::text from portal.uploads u where u.kept_file = b.source_file "
            "limit 1) as upload_id from audit.ingest_batches b where b.batch_id = %s",
            (batch_id,),
        ).fetchone()


def overview_month(period: str) -> dt.date:
    if period:
        try:
            return periods.parse_period(period)
        except UsageError:
            pass
    return periods.previous_month(periods.month_of(_today()))


def overview(conn: psycopg.Connection, month: dt.date) -> dict[str, Any]:
    data = month_overview(conn, month)
    counts = Counter(r.state for r in data.rows)
    return {
        "overview": data,
        "period": data.period,
        "counts": counts,
        "previous": periods.period_text(periods.previous_month(month)),
        "next": periods.period_text(periods.next_month(month)),
    }


def overview_workbook(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{data['period']} 报送情况")
    overview = data["overview"]

    def line(*values: Any) -> None:
        sheet.append([put(WriteOnlyCell(sheet), v) for v in values])

    line("月份 Month", overview.period)
    line("报送率 Reporting rate (%)", overview.reporting_rate)
    line("按时报送率 On-time rate (%)", overview.on_time_rate)
    line()
    line("部门 Department", "数据集 Dataset", "名称 Title", "截止日期 Due", "状态", "State", "文件数 Files",
         "最近收到 Last received", "行数 Rows")  # fmt: skip
    for r in overview.rows:
        zh, en = STATE_WORDS[r.state]
        line(r.department, r.dataset, r.title, r.due_on, zh, en, r.files, r.last_received_at, r.current_rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
