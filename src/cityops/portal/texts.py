"""Every text the portal shows, in one catalogue: (中文, English). Chinese by default.

Templates call `t("key")`; the states of the submission calendar come from
cityops.report.calendar (STATE_WORDS) and the problems' messages from cityops.messages,
so the portal says what the command line says.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("长宁区城运数据报送门户", "Changning city-operations data portal"),
    "lang_other": ("English", "中文"),
    "skip": ("跳到正文", "Skip to content"),
    "nav_calendar": ("报送日历", "Calendar"),
    "nav_upload": ("上传文件", "Upload"),
    "nav_overview": ("全区报送情况", "All departments"),
    "logout": ("退出登录", "Log out"),
    "signed_in_as": ("当前用户", "Signed in as"),
    # login and passwords
    "login": ("登录", "Log in"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_wrong": ("用户名或密码不正确。", "Wrong username or password."),
    "login_locked": (
        "密码连续输错次数过多，账号已暂时锁定，请 {minutes} 分钟后再试，或联系区城运中心重置。",
        "Too many wrong passwords: the account is locked for {minutes} minutes. Try again later, "
        "or ask the operations centre to reset it.",
    ),
    "login_disabled": ("该账号已停用，请联系区城运中心。", "This account is disabled; contact the operations centre."),
    "logged_out": ("已退出登录。", "You are logged out."),
    "change_password": ("修改密码", "Change your password"),
    "change_first": (
        "首次登录（或密码被重置）后，须先设置您自己的密码。",
        "Before you go on, set your own password (first login, or after a reset).",
    ),
    "current_password": ("当前密码", "Current password"),
    "new_password": ("新密码（至少 {n} 位）", "New password (at least {n} characters)"),
    "repeat_password": ("再次输入新密码", "New password again"),
    "password_changed": ("密码已修改。", "Your password is changed."),
    "password_mismatch": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "password_short": ("新密码至少 {n} 位。", "The new password needs at least {n} characters."),
    "password_same": ("新密码不能与当前密码相同。", "The new password must differ from the current one."),
    "password_wrong": ("当前密码不正确。", "The current password is wrong."),
    "save": ("保存", "Save"),
    # calendar
    "calendar_title": ("{department} 报送日历（近 12 个月）", "{department}: submission calendar (last 12 months)"),
    "calendar_window": (
        "{department} 报送日历（{first} 至 {last}）",
        "{department}: submission calendar ({first} to {last})",
    ),
    "window_nav": ("切换月份范围", "Other months"),
    "earlier": ("← 更早 12 个月（至 {month}）", "← Earlier 12 months (to {month})"),
    "later": ("较新 12 个月（至 {month}）→", "Later 12 months (to {month}) →"),
    "latest_months": ("回到最近 12 个月", "Back to the last 12 months"),
    "attention": ("需要处理（3 天内到期或已逾期）", "Needs attention (due within 3 days, or overdue)"),
    "nothing_urgent": ("目前没有 3 天内到期或逾期的报送。", "Nothing is due within 3 days or overdue."),
    "all_months": ("全部月份", "All months"),
    "dataset": ("数据集", "Dataset"),
    "month": ("月份", "Month"),
    "due_on": ("截止日期", "Due date"),
    "state": ("状态", "State"),
    "latest": ("最新报告", "Latest report"),
    "history": ("历史版本", "History"),
    "upload_this": ("上传", "Upload"),
    "view": ("查看", "View"),
    "no_datasets": ("本部门没有需要报送的数据集。", "Your department has no datasets to send."),
    # upload
    "upload_title": ("上传报送文件", "Upload a file"),
    "upload_help": (
        "请选择数据集和月份，上传 xlsx、xls 或 csv 文件。文件按与命令行相同的规则检查，通过后入库。",
        "Pick the dataset and month, then send an xlsx, xls or csv file. It is checked by the same rules as the "
        "command line and loaded if it passes.",
    ),
    "file": ("文件（xlsx、xls、csv）", "File (xlsx, xls, csv)"),
    "send": ("上传并检查", "Upload and check"),
    "blank_form": ("空白模板", "Blank form"),
    "no_file": ("请选择要上传的文件。", "Choose a file to upload."),
    "wrong_type": (
        "只接受 xlsx、xls 或 csv 文件，“{name}”不是。",
        "Only xlsx, xls or csv files are accepted; “{name}” is not one.",
    ),
    "too_large": ("文件超过 {mb} MB 上限，未接收。", "The file is larger than the {mb} MB limit and was not taken."),
    "bad_period": ("月份格式应为 YYYY-MM。", "The month must be written YYYY-MM."),
    "not_yours": (
        "无权访问：该数据集或记录不属于您的部门。",
        "Refused: this dataset or record does not belong to your department.",
    ),
    "not_found": ("没有找到该页面或记录。", "No such page or record."),
    "csrf": (
        "表单已过期或来源不明，请刷新页面后重新提交。",
        "The form expired or did not come from this portal. Reload the page and send it again.",
    ),
    "try_later": (
        "系统暂时无法完成（{detail}）。未入库任何数据，文件已保存；请稍后重新上传。",
        "The system could not finish ({detail}). Nothing was loaded and your file is kept; please upload it again "
        "later.",
    ),
    # progress and answer
    "working": ("正在检查文件，请稍候……本页会自动刷新。", "Checking your file… this page refreshes by itself."),
    "step": ("当前步骤", "Step"),
    "steps_queued": ("排队等候", "waiting in the queue"),
    "steps_reading": ("读取文件", "reading the file"),
    "steps_copy": ("读取并暂存数据", "reading and staging rows"),
    "steps_staged": ("数据已暂存，正在按规则检查", "rows staged, checking the rules"),
    "steps_publish": ("正在入库", "loading"),
    "steps_reports": ("生成报告", "writing the report"),
    "refresh": ("刷新", "Refresh"),
    "answer_loaded": ("已入库：共 {rows} 行。", "Loaded: {rows} rows."),
    "answer_loaded_warnings": (
        "已入库：共 {rows} 行，另有 {n} 条提示请核对。",
        "Loaded: {rows} rows, with {n} warning(s) to check.",
    ),
    "answer_unchanged": (
        "与当前已入库的文件完全相同（unchanged），未作改动。",
        "Identical to the file already loaded (unchanged); nothing changed.",
    ),
    "answer_rejected": (
        "被退回：发现 {errors} 处错误，文件未入库，库中数据未作改动。请按下表修改后重新上传。",
        "Rejected: {errors} error(s) found. Nothing was loaded. Fix the problems below and upload the file again.",
    ),
    "answer_failed": ("未能完成", "Could not finish"),
    "count_per_rule": ("按规则统计", "Count per rule"),
    "problems": ("问题清单", "Problems"),
    "problems_only": ("只看错误", "Errors only"),
    "show_all": ("显示全部", "Show all"),
    "sheet": ("工作表", "Sheet"),
    "cell": ("单元格", "Cell"),
    "header": ("列标题", "Header"),
    "value": ("值", "Value"),
    "rule": ("规则", "Rule"),
    "message": ("说明", "Message"),
    "severity": ("级别", "Severity"),
    "count": ("数量", "Count"),
    "sev_block": ("错误", "Error"),
    "sev_warn": ("提示", "Warning"),
    "english": ("English", "中文"),
    "and_more": ("另有 {n} 条未在此列出", "and {n} more not listed here"),
    "full_list": ("下载完整问题清单（xlsx）", "Download the full problem list (xlsx)"),
    "counted_only": (
        "另有 {n} 处同类问题只计数、未逐条列出（每类列出前 {keep} 条）。",
        "{n} more of the same kinds were counted, not listed (the first {keep} of each kind are).",
    ),
    "marked_copy": ("下载标注副本（问题单元格已标色并附批注）", "Download the marked copy (each problem on its cell)"),
    "original": ("原文件", "Original file"),
    "report_page": ("报告", "Report"),
    "upload_again": ("修改后重新上传", "Upload a corrected file"),
    # history
    "history_title": ("{title}（{period}）历史版本", "{title} ({period}): versions"),
    "who": ("上传人", "Who"),
    "when": ("时间", "When"),
    "sha256": ("文件 SHA-256", "File SHA-256"),
    "outcome": ("结果", "Outcome"),
    "batch_current": ("当前", "current"),
    "batch_superseded": ("已被替换", "superseded"),
    "batch_rejected": ("被退回", "rejected"),
    "batch_unchanged": ("未变化", "unchanged"),
    "batch_failed": ("未完成", "failed"),
    "batch_received": ("处理中", "in progress"),
    "batch_queued": ("排队中", "queued"),
    "batch_running": ("处理中", "in progress"),
    "nothing_yet": ("尚无记录。", "Nothing yet."),
    "via_portal": ("门户", "portal"),
    "via_other": ("其他途径", "other route"),
    # overview
    "overview_title": ("{period} 全区报送情况", "{period}: every department"),
    "department": ("部门", "Department"),
    "reporting_rate": ("报送率", "Reporting rate"),
    "on_time_rate": ("按时报送率", "On-time rate"),
    "export": ("导出 xlsx", "Export to xlsx"),
    "show": ("查看", "Show"),
    "files": ("文件数", "Files"),
    "rows": ("行数", "Rows"),
}


def text(key: str, lang: str, **values: object) -> str:
    zh, en = TEXTS[key]
    chosen = en if lang == "en" else zh
    return chosen.format(**values) if values else chosen
