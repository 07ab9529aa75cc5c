"""The department's own spreadsheet, returned with each problem on its cell.

A clerk fixes a file fastest in the file: every kept problem (the first of each rule,
see ProblemLog) colours its cell (red: must fix; yellow: please check) and carries a
comment with both messages. Problems of the whole file, or of a column that is not
there, go on a first sheet, 说明 Notes.

An .xlsx is edited in place (the clerk's formatting stays); a CSV, an .xls or a large
.xlsx (by rows, by file size, or by the size of its XML unzipped) is copied cell by cell
into a new .xlsx in openpyxl's streaming mode, so memory stays flat. Above MAX_ROWS no
copy is written and the report says so. A file refused as a whole (damaged, not what its
name says, unsafe) is never opened again, and no copy is written when no problem has a
cell to mark: the report lists them all.

The copy must never cost more than the check. It is written in a forked child with a
memory and CPU limit (a sheet that merges A1:XFD1048576 makes openpyxl build billions of
cells), with openpyxl's warnings kept out of the console (they go to the log); a child
that fails or runs out of its limits leaves no copy, and the report says why.
"""

from __future__ import annotations

import faulthandler
import itertools
import logging
import os
import pickle
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from cityops.contracts import Contract
from cityops.extract.layout import HEADER_SEARCH_ROWS, Layout, find_layout
from cityops.problems import Problem, ProblemLog
from cityops.report.cellsafe import put

log = logging.getLogger("cityops.report")
MAX_ROWS = int(os.environ.get("CITYOPS_MARKED_MAX_ROWS", "200000"))
EDIT_IN_PLACE_ROWS = 50_000  # openpyxl holds a whole workbook in memory to edit it
EDIT_IN_PLACE_BYTES = 20 << 20
EDIT_IN_PLACE_XML_BYTES = 2 << 20  # openpyxl edits about a MB of sheet XML a second, or less
MAX_COLUMNS = 1024  # columns copied by the streaming copy: a department's sheet has a few dozen
NOTES_SHEET = "说明 Notes"
FILLS = {"block": PatternFill("solid", fgColor="FFC7CE"), "warn": PatternFill("solid", fgColor="FFEB9C")}
LABELS = {"block": "错误（须更正）Error", "warn": "提示（请核对）Warning"}
# Refusals of the file as a whole: it is not opened a second time.
UNREADABLE = {
    "empty_file",
    "not_what_name_says",
    "unsupported_format",
    "unreadable",
    "not_text",
    "mixed_encoding",
    "too_large",
    "unsafe_file",
    "no_visible_sheet",
    "password_protected",
    "unknown_encoding",
}
Cell = tuple[int, int]  # (row as the clerk sees it, 0-based column index)


@dataclass
class MarkedCopy:
    path: Path | None
    marked_cells: int = 0
    notes: int = 0
    skipped_zh: str | None = None
    skipped_en: str | None = None


@dataclass
class _Marks:
    cells: dict[Cell, list[Problem]] = field(default_factory=lambda: defaultdict(list))
    notes: list[Problem] = field(default_factory=list)


def marked_name(source: Path) -> str:
    return f"{source.stem}.marked.xlsx"


def write_marked_copy(source: Path, contract: Contract, problems: ProblemLog, target: Path, rows: int) -> MarkedCopy:
    """Write the marked copy of `source` to `target`; `rows` is how many data rows were read."""
    kept = problems.errors + problems.warnings
    if any(p.rule in UNREADABLE for p in kept):
        return MarkedCopy(
            None,
            skipped_zh="文件无法读取，因此没有生成标注副本。",
            skipped_en="The file could not be read, so there is no marked copy.",
        )
    if rows > MAX_ROWS:
        return MarkedCopy(
            None,
            skipped_zh=f"文件有 {rows} 行数据，超过 {MAX_ROWS} 行，未生成标注副本；请按本报告所列行号修改。",
            skipped_en=f"The file has {rows} data rows, more than {MAX_ROWS}, so there is no marked copy; "
            "use the row numbers in this report.",
        )
    if not any(p.column for p in kept):
        return MarkedCopy(None, skipped_zh=NO_CELL[0], skipped_en=NO_CELL[1])
    suffix = source.suffix.lower()
    in_place = suffix in {".xlsx", ".xlsm"} and rows <= EDIT_IN_PLACE_ROWS
    in_place = (
        in_place and source.stat().st_size <= EDIT_IN_PLACE_BYTES and _unzipped(source) <= EDIT_IN_PLACE_XML_BYTES
    )
    total = sum(problems.counts.values())
    write = _edit_in_place if in_place else _stream_copy
    copy = bounded(write, source, contract, kept, total, target)
    log.info("%s: marked copy %s (%d cells, %d notes)", contract.dataset, copy.path, copy.marked_cells, copy.notes)
    return copy


NO_CELL = (
    "本报告所列问题都不在某个单元格上，因此没有生成标注副本；请按本报告修改。",
    "None of the problems in this report is on a cell, so there is no marked copy; use this report.",
)
TOO_COSTLY = (
    "生成标注副本超出了时间或内存的限制，因此没有标注副本；请按本报告所列行号修改。",
    "Marking the copy took more time or memory than allowed, so there is no marked copy; "
    "use the row numbers in this report.",
)


def _unzipped(source: Path) -> int:
    import zipfile

    try:
        with zipfile.ZipFile(source) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return 0


def _limits() -> tuple[int, int]:
    """(memory beyond the process's own, CPU seconds) the copy may take."""
    return (
        int(os.environ.get("CITYOPS_MARKED_MAX_MB", "128")) << 20,
        int(os.environ.get("CITYOPS_MARKED_MAX_CPU_S", "60")),
    )


def _limit_child() -> None:
    try:
        import resource

        memory, cpu = _limits()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        with open("/proc/self/status", encoding="ascii") as fh:
            vm = next((int(line.split()[1]) << 10 for line in fh if line.startswith("VmSize:")), 0)
        if vm:
            resource.setrlimit(resource.RLIMIT_AS, (vm + memory, vm + memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (ImportError, OSError, ValueError):
        pass
    faulthandler.disable()  # its dump would go to a copy of stderr
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def bounded(write, source: Path, contract: Contract, kept: list[Problem], total: int, target: Path) -> MarkedCopy:
    """`write` in a forked child with limits; its copy is put in place only when it finished."""
    partial = target.with_name(f".{target.name}.partial")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read_end)
            _limit_child()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                copy = write(source, contract, kept, total, partial)
            result = (copy.path is not None, copy.marked_cells, copy.notes, copy.skipped_zh, copy.skipped_en)
            message = [str(w.message)[:300] for w in caught[:20]]
            with os.fdopen(write_end, "wb") as out:
                pickle.dump((result, message), out)
            code = 0
        except BaseException:  # any failure is the parent's "no copy"
            pass
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream:
        try:
            (written, cells, notes, skipped_zh, skipped_en), caught = pickle.load(stream)
        except (EOFError, pickle.UnpicklingError, ValueError):
            written = None
    _, status = os.waitpid(pid, 0)
    if written is None:
        log.info("%s: the marked copy was not made (child status %s)", source.name, status)
        partial.unlink(missing_ok=True)
        return MarkedCopy(None, skipped_zh=TOO_COSTLY[0], skipped_en=TOO_COSTLY[1])
    for text in caught:
        log.info("%s: while marking the copy: %s", source.name, text)
    if not written:
        partial.unlink(missing_ok=True)
        return MarkedCopy(None, cells, notes, skipped_zh, skipped_en)
    os.replace(partial, target)
    return MarkedCopy(target, cells, notes)


def _locate(kept: Iterable[Problem], layout: Layout | None, contract: Contract, header: list[Any]) -> _Marks:
    """Which cell each problem belongs to; the rest are notes."""
    marks = _Marks()
    names = {c.header: c.name for c in contract.columns}
    index = {name: i for i, name in (layout.columns.items() if layout else ())}
    header_text = [str(c).strip() if c is not None else "" for c in header]
    for problem in kept:
        column = index.get(names.get(problem.column or "", ""))
        if column is None and layout and problem.row == layout.header_row and problem.value in header_text:
            column = header_text.index(problem.value)  # a header with the wrong unit, or repeated
        if layout is None or column is None:
            marks.notes.append(problem)
        elif problem.row is None:  # a rule on the whole column: its header cell, and a note
            marks.cells[(layout.header_row, column)].append(problem)
            marks.notes.append(problem)
        else:
            marks.cells[(problem.row, column)].append(problem)
    return marks


def _style(cell, found: list[Problem]) -> None:
    severity = "block" if any(p.severity == "block" for p in found) else "warn"
    cell.fill = FILLS[severity]
    text = "\n\n".join(f"{p.message_zh}\n{p.message_en}" for p in found)
    comment = Comment(text, "cityops")
    comment.width, comment.height = 360, 60 + 50 * len(found)
    cell.comment = comment


def _notes_rows(marks: _Marks, total: int, shown: int) -> list[list[Any]]:
    """The first sheet: how to read the copy, and the problems that have no cell."""
    rows: list[list[Any]] = [
        ["标注说明：有问题的单元格已标色并附批注（鼠标移到单元格上查看）。红色为错误，须更正；黄色为提示，请核对。"],
        [
            "How to read this copy: each cell with a problem is coloured and has a comment (hover over it). "
            "Red: an error to fix. Yellow: a warning to check."
        ],
    ]
    if total > shown:
        rows.append(
            [
                f"共发现 {total} 处问题，每类标注了前几处（共 {shown} 处），请按同样方法核对其余各处。"
                f"Found {total} problems; the first {shown} (the first of each kind) are marked. "
                "Check the rest the same way."
            ]
        )
    rows.append([])
    if marks.notes:
        rows.append(["级别 Severity", "行 Row", "列 Column", "值 Value", "说明", "Explanation"])
        rows += [
            [LABELS.get(p.severity, p.severity), p.row, p.column, p.value, p.message_zh, p.message_en]
            for p in marks.notes
        ]
    else:
        rows.append(["全部问题均已标注在数据表的单元格上。All problems are marked on their cells in the data sheet."])
    return rows


def _widths(sheet) -> None:
    for letter, width in zip("ABCDEF", (16, 8, 22, 18, 60, 70), strict=True):
        sheet.column_dimensions[letter].width = width


def _edit_in_place(source: Path, contract: Contract, kept: list[Problem], total: int, target: Path) -> MarkedCopy:
    from openpyxl import load_workbook
    from openpyxl.cell.cell import MergedCell

    book = load_workbook(source)
    sheet, layout, header = None, None, []
    for candidate in book.worksheets:
        if candidate.sheet_state != "visible":
            continue
        top = candidate.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        head = [(n, list(r)) for n, r in enumerate(top, start=1)]
        table, _ = find_layout(head, contract)
        if table is not None:
            sheet, layout, header = candidate, table, next((c for n, c in head if n == table.header_row), [])
            break
    marks = _locate(kept, layout, contract, header)
    if not marks.cells:
        return MarkedCopy(None, 0, len(marks.notes), *NO_CELL)
    marked = 0
    for (row, column), found in sorted(marks.cells.items()):
        cell = sheet.cell(row=row, column=column + 1)
        if isinstance(cell, MergedCell):
            marks.notes.extend(found)  # a merged cell cannot carry a comment
            continue
        _style(cell, found)
        marked += 1
    notes = book.create_sheet(NOTES_SHEET, 0)
    for r, values in enumerate(_notes_rows(marks, total, len(kept)), start=1):
        for c, value in enumerate(values, start=1):
            put(notes.cell(row=r, column=c), value).alignment = Alignment(wrap_text=c > 4, vertical="top")
    notes["A1"].font = Font(bold=True)
    _widths(notes)
    book.active = 0
    for other in book.worksheets[1:]:
        other.sheet_view.tabSelected = False
    book.save(target)
    return MarkedCopy(target, marked, len(marks.notes))


def _table_rows(source: Path, contract: Contract) -> tuple[Layout | None, list[Any], Iterator[tuple[int, list[Any]]]]:
    """The sheet the reader took (the first with a header), its layout and all its rows."""
    from cityops.extract.sheets import sheets
    from cityops.extract.sniff import sniff

    first: tuple[list, Iterator] | None = None
    for rows in sheets(source, sniff(source)):
        head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
        layout, _ = find_layout(head, contract)
        if layout is not None:
            header = next((c for n, c in head if n == layout.header_row), [])
            return layout, header, itertools.chain(head, rows)
        first = first or (head, rows)
    head, rows = first or ([], iter(()))
    return None, [], itertools.chain(head, rows)


def _stream_copy(source: Path, contract: Contract, kept: list[Problem], total: int, target: Path) -> MarkedCopy:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    layout, header, rows = _table_rows(source, contract)
    marks = _locate(kept, layout, contract, header)
    if not marks.cells:
        return MarkedCopy(None, 0, len(marks.notes), *NO_CELL)
    book = Workbook(write_only=True)
    notes = book.create_sheet(NOTES_SHEET)
    _widths(notes)
    data = book.create_sheet("数据 Data")
    by_row: dict[int, dict[int, list[Problem]]] = defaultdict(dict)
    for (row, column), found in marks.cells.items():
        by_row[row][column] = found
    marked = 0
    for number, cells in rows:
        if number > MAX_ROWS + HEADER_SEARCH_ROWS:
            break
        wanted = by_row.pop(number, {})
        width = max(min(len(cells), MAX_COLUMNS), max(wanted, default=-1) + 1)
        out = []
        for i in range(width):
            value = cells[i] if i < len(cells) else None
            cell = put(WriteOnlyCell(data), None if value == "" else value)
            if i in wanted:
                _style(cell, wanted[i])
                marked += 1
            out.append(cell)
        data.append(out)
    for leftover in by_row.values():  # rows the copy never reached
        for found in leftover.values():
            marks.notes.extend(found)
    for values in _notes_rows(marks, total, len(kept)):
        notes.append([put(WriteOnlyCell(notes), v) for v in values])
    book.save(target)
    return MarkedCopy(target, marked, len(marks.notes))


def cell_references(source: Path, contract: Contract, problems: list[Problem]) -> list[tuple[str | None, str | None]]:
    """(sheet, Excel cell such as "C7") of each problem, as the marked copy places it; (sheet, None)
    for a problem of the whole file or of a column the file lacks. The portal's problem table."""
    from openpyxl.utils import get_column_letter

    from cityops.extract.sheets import sheets
    from cityops.extract.sniff import sniff

    if not problems or any(p.rule in UNREADABLE for p in problems):
        return [(None, None)] * len(problems)
    kind = sniff(source)
    found: tuple[int, Layout, list[Any]] | None = None
    for index, rows in enumerate(sheets(source, kind)):
        head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
        layout, _ = find_layout(head, contract)
        if layout is not None:
            found = (index, layout, next((c for n, c in head if n == layout.header_row), []))
            break
    if found is None:
        return [(None, None)] * len(problems)
    index, layout, header = found
    sheet = source.name
    if kind.format != "csv":
        import python_calamine

        visible = [m.name for m in python_calamine.load_workbook(str(source)).sheets_metadata
                   if str(m.visible).endswith("Visible")]  # fmt: skip
        sheet = visible[index]
    where: dict[Problem, str] = {}
    for (row, column), placed in _locate(problems, layout, contract, header).cells.items():
        for problem in placed:
            where.setdefault(problem, f"{get_column_letter(column + 1)}{row}")
    return [(sheet, where.get(p)) for p in problems]
