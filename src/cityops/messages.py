"""What a clerk reads: every rule's message in Chinese and English, in one place.

A message says what was found, where, what is allowed and what to do, in the words of
the report template; never Python or SQL. `{where}` is filled with the row and column.
"""

from __future__ import annotations

# rule -> (Chinese, English). Placeholders: where, value, allowed, column, plus details.
TEMPLATES: dict[str, tuple[str, str]] = {
    "required": (
        "{where}为空。此列必须填写，请补填后重新上报。",
        "{where} is empty. This column must be filled in; complete it and upload again.",
    ),
    "wrong_type": (
        "{where}的值“{value}”不是{allowed_zh}。请填写{allowed_zh}，例如 {example}。",
        "{where}: “{value}” is not {allowed_en}. Enter {allowed_en}, for example {example}.",
    ),
    "unknown_street": (
        "{where}的街镇“{value}”不在长宁区十个街镇之列。允许的值：{allowed}。",
        "{where}: “{value}” is not one of Changning's ten streets and towns. Allowed: {allowed}.",
    ),
    "not_in_list": (
        "{where}的值“{value}”不是允许的选项。允许的值：{allowed}。",
        "{where}: “{value}” is not an allowed choice. Allowed: {allowed}.",
    ),
    "not_in_reference": (
        "{where}的值“{value}”不在{reference_zh}中。允许的值：{allowed}。如确需新增，请联系名录维护部门。",
        "{where}: “{value}” is not in the {reference_en}. Allowed: {allowed}. "
        "If it is new, ask the registry's owner to add it.",
    ),
    "too_long": (
        "{where}的内容超过 {allowed} 个字，请精简。",
        "{where} is longer than {allowed} characters; shorten it.",
    ),
    "min_value": (
        "{where}的值“{value}”小于允许的最小值 {allowed}。请核对后更正。",
        "{where}: “{value}” is below the minimum of {allowed}. Check and correct it.",
    ),
    "above_min": (
        "{where}的值“{value}”必须大于 {allowed}。请核对后更正。",
        "{where}: “{value}” must be greater than {allowed}. Check and correct it.",
    ),
    "max_value": (
        "{where}的值“{value}”大于允许的最大值 {allowed}。请核对后更正。",
        "{where}: “{value}” is above the maximum of {allowed}. Check and correct it.",
    ),
    "not_greater_than_column": (
        "{where}的值“{value}”大于同一行的「{other}」（{other_value}）。前者不能超过后者，请核对。",
        "{where}: “{value}” is greater than “{other}” on the same row ({other_value}). "
        "It cannot exceed it; check both figures.",
    ),
    "not_less_than_column": (
        "{where}的值“{value}”早于（小于）同一行的「{other}」（{other_value}）。请核对先后顺序。",
        "{where}: “{value}” is before (less than) “{other}” on the same row ({other_value}). "
        "Check the order of the two.",
    ),
    "not_equal_to_column": (
        "{where}的值“{value}”与同一行的「{other}」（{other_value}）不一致。请核对。",
        "{where}: “{value}” differs from “{other}” on the same row ({other_value}). Check both.",
    ),
    "reference_mismatch": (
        "{where}的值“{value}”与{reference_zh}不符：「{key_column}」为“{key}”的应填“{allowed}”。请按{reference_zh}填写。",
        "{where}: “{value}” does not match the {reference_en}: for “{key_column}” “{key}” it must be “{allowed}”. "
        "Fill it in as the {reference_en} says.",
    ),
    "outside_reference_range": (
        "{where}的值“{value}”超出{reference_zh}中「{key_column}」“{key}”的合理范围 {allowed}。请核对数值和单位。",
        "{where}: “{value}” is outside the range {allowed} that the {reference_en} gives for “{key_column}” “{key}”. "
        "Check the figure and its unit.",
    ),
    "must_be_blank_when": (
        "{where}应为空：「{other}」为“{condition}”时此列不填（现为“{value}”）。请核对办理状态或删除该值。",
        "{where} must be empty while “{other}” is “{condition}” (found “{value}”). "
        "Check the status, or clear the cell.",
    ),
    "required_when": (
        "{where}为空：「{other}」为“{condition}”时此列必须填写。请补填。",
        "{where} is empty, but it must be filled in when “{other}” is “{condition}”. Complete it.",
    ),
    "resolved_exceeds_found": (
        "{where}的值“{value}”大于本月「{other}」（{other_value}）。如含上月结转问题的处置可忽略此提示；否则请核对。",
        "{where}: “{value}” is more than this month's “{other}” ({other_value}). Ignore this if it includes "
        "issues carried over from earlier months; otherwise check the figures.",
    ),
    "period_mismatch": (
        "{where}的月份“{value}”与上报月份 {period} 不一致。一个文件只报一个月，请核对月份或改报对应月份。",
        "{where}: month “{value}” does not match the reporting month {period}. "
        "A file reports one month; fix the month or upload it for the right month.",
    ),
    "outside_period": (
        "{where}的时间“{value}”不在上报月份 {period} 内。请核对，或将该记录放入对应月份的文件。",
        "{where}: “{value}” is outside the reporting month {period}. Check it, or put the record in that month's file.",
    ),
    "duplicate_key": (
        "{where}：{key_zh}“{value}”在文件中重复出现。每个{key_zh}只能有一行，请合并或删除重复行。",
        "{where}: {key_en} “{value}” appears more than once in the file. "
        "Keep one row per {key_en}; merge or delete the repeats.",
    ),
    "missing_streets": (
        "缺少以下街镇的数据：{value}。十个街镇每月都须上报，没有发生量的请填 0。",
        "Rows are missing for: {value}. All ten streets report every month; enter 0 where nothing happened.",
    ),
    "row_count": (
        "文件共有 {value} 行数据，应为 {allowed} 行。请核对是否漏报或多报。",
        "The file has {value} data rows; {allowed} are expected. Check for missing or extra rows.",
    ),
    "missing_column": (
        "缺少必填列「{column}」。请使用填报模板，表头应包含：{allowed}。",
        "The required column “{column}” is missing. Use the template; the header must include: {allowed}.",
    ),
    "duplicate_column": (
        "表头中「{column}」出现了两次（{value}）。请删除多余的列。",
        "The column “{column}” appears twice in the header ({value}). Delete the extra one.",
    ),
    "wrong_unit": (
        "「{value}」的单位与模板不符，模板为「{column}」。请按模板单位填报。",
        "The header “{value}” has a different unit from the template's “{column}”. Report in the template's unit.",
    ),
    "no_header": (
        "找不到表头。{dataset_zh}的表头应包含：{allowed}。请确认上传的是正确的报表，并使用填报模板。",
        "No header row was found. A {dataset_en} file has the columns: {allowed}. "
        "Check that this is the right report and use the template.",
    ),
    "no_data": (
        "文件只有表头，没有数据行。请填写数据后重新上报。",
        "The file has a header but no data rows. Fill in the data and upload again.",
    ),
    "empty_file": (
        "文件是空的。请重新导出报表后上报。",
        "The file is empty. Export the report again and upload it.",
    ),
    "not_what_name_says": (
        "文件名为“{value}”，但内容不是{expected_zh}文件。请在 Excel 中“另存为”正确格式后上报。",
        "The file is named “{value}” but is not really {expected_en}. "
        "Use Excel's “Save as” with the right format and upload again.",
    ),
    "unsupported_format": (
        "不支持“{value}”格式。请上传 .xlsx、.xls 或 .csv 文件。",
        "The format “{value}” is not accepted. Upload an .xlsx, .xls or .csv file.",
    ),
    "unreadable": (
        "文件已损坏，无法打开。请重新导出后上报。",
        "The file is damaged and cannot be opened. Export it again and upload it.",
    ),
    "not_text": (
        "文件不是文本格式的 CSV（可能是其它程序的文件改了扩展名）。请从 Excel 另存为 CSV 后上报。",
        "The file is not a text CSV (perhaps another program's file renamed). "
        "Save it from Excel as CSV and upload again.",
    ),
    "mixed_encoding": (
        "文件第 {after_row} 行之后的文字编码与前面不一致，无法读取。请从 Excel 重新另存为 CSV 后上报。",
        "After row {after_row} the file switches text encoding and cannot be read. Save it from Excel as CSV again.",
    ),
    "no_visible_sheet": (
        "工作簿中没有可见的工作表（全部被隐藏）。请在 Excel 中右击工作表标签，选择“取消隐藏”，保存后重新上报。",
        "The workbook has no visible sheet (all of them are hidden). In Excel, right-click a sheet tab, "
        "choose “Unhide”, save and upload again.",
    ),
    "password_protected": (
        "文件设置了打开密码（已加密），无法读取。请在 Excel 中打开文件，"
        "点击“文件 → 信息 → 保护工作簿 → 用密码进行加密”，清空密码并确定，保存后重新上报。",
        "The file is protected by a password (encrypted) and cannot be read. Open it in Excel, choose "
        "File → Info → Protect Workbook → Encrypt with Password, delete the password, click OK, "
        "save and upload again.",
    ),
    "unknown_encoding": (
        "文件第 {row_number} 行有无法识别的字符（字节 {byte}）：CSV 须为 UTF-8 或 GBK（GB18030）编码，"
        "此文件可能是用其它编码（如 Latin-1 或 Windows-1252）保存的。请在 Excel 中“另存为”，"
        "选择“CSV UTF-8（逗号分隔）”后重新上报。",
        "Row {row_number} has a character that cannot be read (byte {byte}): a CSV must be in UTF-8 or GBK "
        "(GB18030), and this one was probably saved in another encoding (such as Latin-1 or Windows-1252). "
        "In Excel, use “Save as” with “CSV UTF-8 (Comma delimited)” and upload again.",
    ),
    "too_large": (
        "文件超过 {limit_mb} MB 的上限。请按月拆分后上报，或联系城运中心。",
        "The file is over the {limit_mb} MB limit. Split it by month or contact the city operation centre.",
    ),
    "unsafe_file": (
        "文件结构异常（可能被篡改或含有不安全内容），已拒收。请从 Excel 重新保存后上报。",
        "The file's structure is abnormal (tampered with, or unsafe content) and was refused. "
        "Save it again from Excel and upload it.",
    ),
    "total_change_limit": (
        "「{column}」全区合计为 {value}，与上月（{previous}）相比变化 {change_pct}%，超过 {allowed}% 的提示线。"
        "如数据无误可忽略；如有误请更正后重报。",
        "The district total of “{column}” is {value}, {change_pct}% away from last month's {previous}, "
        "beyond the {allowed}% alert line. Ignore this if the figure is right; otherwise correct and resubmit.",
    ),
    "cumulative_decrease": (
        "{where}的累计值“{value}”小于上月上报的 {previous}。累计数不能减少；如上月有误，请先更正上月报表。",
        "{where}: the cumulative figure “{value}” is below last month's {previous}. Cumulative figures "
        "never fall; if last month was wrong, correct last month's file first.",
    ),
    "stage_backwards": (
        "{where}的阶段“{value}”早于上月的“{previous}”。加梯阶段不能倒退，请核对。",
        "{where}: stage “{value}” is earlier than last month's “{previous}”. A stage never moves back; check it.",
    ),
    "class_mismatch": (
        "{where}上报水质类别为“{value}”，按 GB 3838-2002 由四项指标计算应为“{other_value}”。请核对监测数据或类别。",
        "{where}: the reported class “{value}” differs from “{other_value}”, computed from the four measurements "
        "by GB 3838-2002. Check the measurements or the class.",
    ),
    "gate_failed": (
        "数据质量检查“{value}”未通过。请核对数据后重新上报。",
        "The data-quality check “{value}” failed. Check the data and upload again.",
    ),
}

TYPE_WORDS = {
    # allowed -> (zh, en, example)
    "number": ("数字", "a number", "1234.5"),
    "whole number": ("整数", "a whole number", "12"),
    "month": ("月份", "a month", "2025-03"),
    "date": ("日期", "a date", "2025-03-15"),
    "datetime": ("日期时间", "a date and time", "2025-03-15 09:30:00"),
}

FORMAT_WORDS = {
    "xlsx": ("Excel（.xlsx）", "an Excel .xlsx workbook"),
    "xls": ("Excel 97-2003（.xls）", "an Excel 97-2003 .xls workbook"),
    "csv": ("CSV 文本", "a CSV text file"),
}


def where(row: int | None, column: str | None) -> tuple[str, str]:
    """The location as a clerk reads it, in both languages."""
    if row is not None and column:
        return f"第 {row} 行「{column}」", f"Row {row}, column “{column}”"
    if row is not None:
        return f"第 {row} 行", f"Row {row}"
    if column:
        return f"「{column}」列", f"Column “{column}”"
    return "文件", "The file"


def render(rule: str, row: int | None, column: str | None, value: object, **details: object) -> tuple[str, str]:
    zh_template, en_template = TEMPLATES.get(rule, TEMPLATES["gate_failed"])
    where_zh, where_en = where(row, column)
    allowed = str(details.get("allowed", ""))
    zh_type, en_type, example = TYPE_WORDS.get(allowed, (allowed, allowed, allowed))
    expected = str(details.get("expected", ""))
    fields = {
        "value": "" if value is None else value,
        "column": column or "",
        "allowed_zh": zh_type,
        "allowed_en": en_type,
        "example": example,
        "expected_zh": FORMAT_WORDS.get(expected, (expected, expected))[0],
        "expected_en": FORMAT_WORDS.get(expected, (expected, expected))[1],
        **{k: v for k, v in details.items()},
    }
    return (
        zh_template.format_map(_Lenient(fields, where=where_zh)),
        en_template.format_map(_Lenient(fields, where=where_en)),
    )


class _Lenient(dict):
    """Missing placeholders print as empty rather than raising mid-report."""

    def __init__(self, fields: dict, where: str) -> None:
        super().__init__(fields, where=where)

    def __missing__(self, key: str) -> str:
        return ""
