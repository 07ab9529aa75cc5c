"""Files that nobody here made (issue 16): each finding of the foreign-file run, on a file built here.

The files are written at test time by tests/fixtures/foreign.py, the way their makers
write them. tests/cli/test_corpus.py runs the command line on them and on other
projects' own test files.
"""

from __future__ import annotations

import gc
import json
import resource
from pathlib import Path

import psutil
import pytest
from openpyxl import load_workbook

from cityops.contracts import get_contract
from cityops.extract.reader import canonical_chunks, file_problem, open_extract
from cityops.extract.sniff import FileRefused
from cityops.ingest import ingest
from cityops.problems import Problem, ProblemLog
from cityops.report import marked
from tests.fixtures import foreign
from tests.fixtures.db import scalar
from tests.fixtures.garbage import HEADER, garbage_rows, table, write

CONTRACT = get_contract("garbage_sorting")


def read(path: Path) -> tuple[int, ProblemLog]:
    """(data rows read, problems) for `path`, through the reader alone."""
    log = ProblemLog()
    extract = open_extract(path, CONTRACT, log)
    try:
        rows = sum(len(chunk) for chunk in canonical_chunks(extract, CONTRACT, log)) if extract else 0
    except FileRefused as exc:  # found while reading the rows: ingest reports it the same way
        log.add(file_problem(exc, path, CONTRACT))
        rows = 0
    return rows, log


def refused(path: Path) -> object:
    rows, log = read(path)
    assert rows == 0
    [problem] = log.errors
    assert problem.message_zh and problem.message_en and problem.row is None
    return problem


def peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10


# --- calamine ---------------------------------------------------------------------------------


def test_an_xls_that_makes_calamine_panic_is_refused_and_the_batch_recorded(wh, tmp_path, capfd):
    path = foreign.broken_xls(tmp_path)
    outcome = ingest(path, "garbage_sorting", "2025-03")
    assert outcome.status == "rejected" and outcome.exit_code == 1
    [problem] = outcome.problems.errors
    assert problem.rule == "unreadable" and "损坏" in problem.message_zh and "damaged" in problem.message_en
    assert scalar(wh, "select status from audit.ingest_batches where batch_id = %s", outcome.batch_id) == "rejected"
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 0
    assert capfd.readouterr().err == "", "calamine's panic message must not reach the console"


def test_cells_far_apart_are_refused_without_taking_the_memory(tmp_path):
    """A1 and XFD1048576: calamine would allocate 17 billion cells (the process aborts, or is killed)."""
    path = foreign.far_apart_xlsx(tmp_path)
    before = peak_mib()
    assert refused(path).rule == "unreadable"
    assert peak_mib() - before < 100


def test_the_reader_process_is_gone_once_a_workbook_is_read(tmp_path):
    path = write(tmp_path / "2025-03.xlsx", table())
    before = {child.pid for child in psutil.Process().children()}
    assert read(path)[0] == 10
    log = ProblemLog()
    open_extract(path, CONTRACT, log)  # the header read, the rows never: the reader is stopped all the same
    gc.collect()
    after = {child.pid for child in psutil.Process().children()}
    assert after <= before, "no reader left running, nor a zombie"


# --- sheets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_data_sheet_followed_by_empty_sheets_is_read(tmp_path, suffix):
    rows, log = read(foreign.data_then_empty_sheets(tmp_path, suffix))
    assert (rows, log.errors) == (10, [])


def test_an_empty_sheet_before_a_sheet_without_a_header_is_not_an_empty_file(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["这不是垃圾分类报表"])
    book.create_sheet("Sheet2")
    book.save(tmp_path / "other.xlsx")
    assert refused(tmp_path / "other.xlsx").rule == "no_header"


def test_a_workbook_without_a_visible_sheet_says_so(tmp_path):
    problem = refused(foreign.no_visible_sheet(tmp_path))
    assert problem.rule == "no_visible_sheet"
    assert "取消隐藏" in problem.message_zh and "Unhide" in problem.message_en


# --- passwords, customXml ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_password_protected_workbook_is_named_as_such(tmp_path, suffix):
    problem = refused(foreign.encrypted_workbook(tmp_path, suffix))
    assert problem.rule == "password_protected"
    assert "密码" in problem.message_zh and "用密码进行加密" in problem.message_zh
    assert "password" in problem.message_en and "Encrypt with Password" in problem.message_en


def test_an_ole_file_without_encryption_streams_is_not_called_password_protected(tmp_path):
    path = tmp_path / "other.xlsx"
    path.write_bytes(foreign.compound_file({"WordDocument": b"x" * 5000}))
    assert refused(path).rule == "not_what_name_says"


def test_excel_power_query_parts_in_utf16_are_accepted(tmp_path):
    assert read(foreign.power_query_xlsx(tmp_path))[0] == 10


def test_a_dtd_in_a_utf16_part_is_still_refused(tmp_path):
    path = foreign.power_query_xlsx(tmp_path, "<!DOCTYPE x [<!ENTITY e 'e'>]>")
    assert refused(path).rule == "unsafe_file"


# --- encodings --------------------------------------------------------------------------------


def test_latin1_files_with_the_same_stray_byte_get_the_same_explanation(tmp_path):
    """é before a comma is not GB18030, é before a letter is (a rare character): the same refusal for both,
    and for one whose é comes after the first megabyte that the encoding is guessed from."""
    before_comma = refused(foreign.latin1_csv(tmp_path, "a.csv", 5, b","))
    before_letter = refused(foreign.latin1_csv(tmp_path, "b.csv", 5, b"s"))
    far_down = refused(foreign.stray_byte_after_a_megabyte(tmp_path))
    assert before_comma == before_letter
    assert (before_comma.rule, far_down.rule) == ("unknown_encoding", "unknown_encoding")
    assert "第 5 行" in before_comma.message_zh and "Row 5 " in before_comma.message_en
    row = foreign.STRAY_ROW
    assert f"第 {row} 行" in far_down.message_zh and f"Row {row} " in far_down.message_en
    for problem in (before_comma, far_down):
        assert "0xE9" in problem.message_zh and "0xE9" in problem.message_en
        assert "CSV UTF-8" in problem.message_zh and "CSV UTF-8" in problem.message_en
    assert far_down.message_en.replace(str(row), "5") == before_comma.message_en


def test_gbk_text_is_still_read(tmp_path):
    rows, log = read(write(tmp_path / "2025-03.csv", table(), encoding="gbk"))
    assert (rows, log.errors) == (10, [])


# --- the marked copy --------------------------------------------------------------------------


def _copy(source: Path, tmp_path: Path) -> marked.MarkedCopy:
    """The marked copy of a month whose C7 (row 7, 干垃圾) the builders spoiled."""
    problems = ProblemLog()
    problems.add(Problem.of("min_value", 7, HEADER[2], -5, allowed="0"))
    return marked.write_marked_copy(source, CONTRACT, problems, tmp_path / "copy.marked.xlsx", rows=10)


def test_openpyxl_warnings_stay_off_the_console(tmp_path, capfd, recwarn):
    copy = _copy(foreign.with_unsupported_extension(tmp_path), tmp_path)
    assert copy.path is not None and copy.marked_cells == 1, "the copy is still written"
    assert capfd.readouterr().err == ""
    assert not [w for w in recwarn if "openpyxl" in w.filename]


def test_no_copy_when_no_problem_has_a_cell(wh, tmp_path):
    path = write(tmp_path / "2025-03.xlsx", table(header=["名称", "数量", "备注"] + HEADER[3:4]))
    outcome = ingest(path, "garbage_sorting", "2025-03")
    assert [p.rule for p in outcome.problems.errors] == ["no_header"]
    folder = Path(outcome.report_folder)
    assert not list(folder.glob("*.marked.xlsx"))
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["marked_copy"] is None
    assert marked.NO_CELL[1] in (folder / "report.md").read_text(encoding="utf-8")


def test_a_copy_beyond_its_limits_is_given_up_and_said_so(tmp_path, monkeypatch):
    """The sheet merges A40:XFD1048576: openpyxl would build billions of cells to edit it in place."""
    monkeypatch.setenv("CITYOPS_MARKED_MAX_MB", "64")
    before = peak_mib()
    copy = _copy(foreign.whole_sheet_merged(tmp_path), tmp_path)
    assert copy.path is None and (copy.skipped_zh, copy.skipped_en) == marked.TOO_COSTLY
    assert not [p.name for p in tmp_path.iterdir() if "marked" in p.name], "no copy, and nothing half-written"
    assert peak_mib() - before < 100, "the copy's cost stays in its own process"


def test_a_workbook_with_much_xml_is_copied_not_edited(wh, tmp_path, monkeypatch):
    """Editing in place costs openpyxl seconds per MB of styled XML: above the bound, the streamed copy."""
    monkeypatch.setattr(marked, "EDIT_IN_PLACE_XML_BYTES", 1000)
    rows = garbage_rows()
    rows[3][2] = -5
    outcome = ingest(write(tmp_path / "2025-03.xlsx", table(rows)), "garbage_sorting", "2025-03")
    [copy] = Path(outcome.report_folder).glob("*.marked.xlsx")
    book = load_workbook(copy)
    assert book.sheetnames == [marked.NOTES_SHEET, "数据 Data"]
    assert book["数据 Data"]["C7"].comment is not None
