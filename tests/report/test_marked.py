"""The department gets its own spreadsheet back: each problem on its cell, both messages in a comment.

Every garbage_sorting rule is triggered by a real file; the test finds the problem's row
and column, then opens the returned copy and checks that exact cell.
"""

from __future__ import annotations

import html
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cityops.ingest import ingest
from cityops.report import marked
from tests.fixtures.db import scalar
from tests.fixtures.garbage import HEADER, garbage_rows, table, write

RED, YELLOW = "FFC7CE", "FFEB9C"


def marked_copy(outcome) -> Path:
    folder = Path(outcome.report_folder)
    copies = list(folder.glob("*.marked.xlsx"))
    assert len(copies) == 1, f"no marked copy in {folder}: {list(folder.iterdir())}"
    for name in ("report.json", "report.md", "report.html"):
        assert (folder / name).is_file(), name
    return copies[0]


def data_sheet(book):
    assert book.sheetnames[0] == marked.NOTES_SHEET
    return book.worksheets[1]


def assert_marked(path: Path, problem, colour: str = RED) -> None:
    """The problem's cell is coloured and its comment holds both messages."""
    sheet = data_sheet(load_workbook(path))
    letter = get_column_letter(HEADER.index(problem.column) + 1)
    cell = sheet[f"{letter}{problem.row}"]
    assert cell.fill.fgColor.rgb.endswith(colour), (cell.coordinate, cell.fill.fgColor.rgb)
    assert cell.comment is not None, cell.coordinate
    assert problem.message_zh in cell.comment.text and problem.message_en in cell.comment.text


def notes_text(path: Path) -> str:
    notes = load_workbook(path)[marked.NOTES_SHEET]
    return "\n".join(str(c.value) for row in notes.iter_rows() for c in row if c.value is not None)


def _spoiled(tmp_path: Path, name: str, row: int, column: int, value) -> Path:
    rows = garbage_rows()
    rows[row][column] = value
    return write(tmp_path / name, table(rows))


RULES = [  # (data row index, column index, bad value, rule, row as the clerk sees it)
    (3, 1, "虹桥镇区", "unknown_street", 7),
    (0, 7, "七十", "wrong_type", 4),
    (2, 9, 12.5, "wrong_type", 6),
    (4, 3, -3, "min_value", 8),
    (4, 6, 120, "max_value", 8),
    (5, 8, 999, "not_greater_than_column", 9),
    (1, 0, "2025年4月", "period_mismatch", 5),
    (9, 1, "华阳路", "duplicate_key", 13),
    (6, 1, "", "required", 10),
]


CASES = [(".xlsx", *r) for r in RULES] + [(s, *r) for s in (".csv", ".xls") for r in RULES if r[3] == "min_value"]


@pytest.mark.parametrize(
    ("suffix", "index", "column", "value", "rule", "row"), CASES, ids=[f"{c[4]}{c[5]}{c[0]}" for c in CASES]
)
def test_each_rule_is_marked_on_its_cell(wh, tmp_path, suffix, index, column, value, rule, row):
    outcome = ingest(_spoiled(tmp_path, f"2025-03{suffix}", index, column, value), "garbage_sorting", "2025-03")
    assert outcome.status == "rejected"
    problem = next(p for p in outcome.problems.errors if p.rule == rule and p.row == row)
    assert problem.column == HEADER[column]
    copy = marked_copy(outcome)
    assert copy.parent == Path(outcome.stored_file).parent  # beside the file in quarantine
    assert_marked(copy, problem)
    report = json.loads((copy.parent / "report.json").read_text(encoding="utf-8"))
    assert report["marked_copy"] == str(copy)
    assert problem.message_en in html.unescape((copy.parent / "report.html").read_text(encoding="utf-8"))


def test_the_department_keeps_its_own_layout(wh, tmp_path):
    outcome = ingest(_spoiled(tmp_path, "2025-03.xlsx", 4, 3, -3), "garbage_sorting", "2025-03")
    sheet = data_sheet(load_workbook(marked_copy(outcome)))
    assert sheet.title == "报表" and sheet["A1"].value.startswith("长宁区")  # the title row is still there
    assert sheet["D8"].value == -3  # the bad value stays a number the clerk can retype


def test_problems_of_the_whole_file_go_on_the_notes_sheet(wh, tmp_path):
    header = [h for h in HEADER if h != "湿垃圾（吨）"]
    rows = [r[:3] + r[4:] for r in garbage_rows()[:8]]
    outcome = ingest(write(tmp_path / "2025-03.xlsx", table(rows, header=header)), "garbage_sorting", "2025-03")
    missing = next(p for p in outcome.problems.errors if p.rule == "missing_column")
    text = notes_text(marked_copy(outcome))
    assert missing.message_zh in text and missing.message_en in text


def test_a_rule_on_the_whole_column_marks_its_header(wh, tmp_path):
    outcome = ingest(write(tmp_path / "2025-03.csv", table(garbage_rows()[:8])), "garbage_sorting", "2025-03")
    streets = next(p for p in outcome.problems.errors if p.rule == "missing_streets")
    copy = marked_copy(outcome)
    header = data_sheet(load_workbook(copy))["B3"]
    assert header.value == "街镇" and streets.message_en in header.comment.text
    assert streets.message_zh in notes_text(copy)
    row_count = next(p for p in outcome.problems.errors if p.rule == "row_count")
    assert row_count.message_en in notes_text(copy)


def test_warnings_reach_the_department_for_a_file_that_loaded(wh, tmp_path):
    assert ingest(write(tmp_path / "feb.xlsx", table(garbage_rows("2025-02"))), "garbage_sorting", "2025-02").rows
    rows = garbage_rows()
    for row in rows:
        row[7] += 20  # 200 more residential areas: +27%, beyond the 5% alert line
    outcome = ingest(write(tmp_path / "2025-03.xlsx", table(rows)), "garbage_sorting", "2025-03")
    assert outcome.status == "loaded" and scalar(wh, "select count(*) from raw.garbage_sorting") == 20
    warning = next(p for p in outcome.problems.warnings if p.rule == "total_change_limit")
    copy = marked_copy(outcome)
    assert copy.parent == Path(outcome.stored_file).parent
    assert copy.parent.is_relative_to(wh.archive)
    header = data_sheet(load_workbook(copy))["H3"]
    assert header.fill.fgColor.rgb.endswith(YELLOW) and warning.message_zh in header.comment.text
    report = (copy.parent / "report.md").read_text(encoding="utf-8")
    assert "入库提示" in report and warning.message_en in report
    assert json.loads((copy.parent / "report.json").read_text(encoding="utf-8"))["status"] == "loaded"


def test_a_clean_file_gets_no_reports_in_the_archive(wh, tmp_path):
    outcome = ingest(write(tmp_path / "2025-03.xlsx", table()), "garbage_sorting", "2025-03")
    assert outcome.status == "loaded" and outcome.report_folder is None
    assert sorted(p.name for p in Path(outcome.stored_file).parent.iterdir()) == ["2025-03.xlsx"]


def test_cells_the_project_writes_never_run_as_formulas(wh, tmp_path):
    rows = garbage_rows()
    rows[1][1] = '=HYPERLINK("http://evil.example","点击")'
    rows[2][1] = "@SUM(1+1)*cmd|' /C calc'!A0"
    rows[3][1] = "+86 021 6252"
    rows[4][3] = -3  # a negative number stays a number
    rows[5][2] = "-12.5"
    outcome = ingest(write(tmp_path / "2025-03.csv", table(rows)), "garbage_sorting", "2025-03")
    copy = marked_copy(outcome)
    with zipfile.ZipFile(copy) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    sheet = data_sheet(load_workbook(copy))
    for coordinate in ("B5", "B6", "B7"):
        cell = sheet[coordinate]
        assert cell.data_type == "s" and cell.quotePrefix, coordinate
    assert sheet["B5"].value.startswith("=HYPERLINK")  # shown to the clerk as written, as text
    assert sheet["D8"].value == -3 and sheet["D8"].data_type == "n"
    assert sheet["C9"].value == -12.5


def test_validate_leaves_reports_under_home_and_stores_nothing(wh, tmp_path):
    outcome = ingest(_spoiled(tmp_path, "2025-03.xlsx", 4, 3, -3), "garbage_sorting", "2025-03", dry_run=True)
    assert outcome.status == "rejected" and outcome.batch_id is None
    folder = Path(outcome.report_folder)
    assert folder.is_relative_to(wh.root / "validate" / "garbage_sorting" / "2025-03")
    assert_marked(marked_copy(outcome), next(p for p in outcome.problems.errors if p.rule == "min_value"))
    assert "预检" in (folder / "report.md").read_text(encoding="utf-8")
    assert scalar(wh, "select count(*) from audit.ingest_batches") == 0
    assert scalar(wh, "select count(*) from audit.validation_results") == 0
    assert not any(wh.quarantine.iterdir()) and not any(wh.archive.iterdir())


def test_a_very_large_file_gets_a_report_but_no_copy(wh, tmp_path, monkeypatch):
    monkeypatch.setattr(marked, "MAX_ROWS", 5)
    outcome = ingest(_spoiled(tmp_path, "2025-03.csv", 4, 3, -3), "garbage_sorting", "2025-03")
    folder = Path(outcome.report_folder)
    assert not list(folder.glob("*.marked.xlsx"))
    assert "no marked copy" in (folder / "report.md").read_text(encoding="utf-8")


def test_a_damaged_file_is_not_opened_again(wh, tmp_path):
    path = tmp_path / "2025-03.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    outcome = ingest(path, "garbage_sorting", "2025-03")
    assert outcome.status == "rejected"
    assert "could not be read" in (Path(outcome.report_folder) / "report.md").read_text(encoding="utf-8")
