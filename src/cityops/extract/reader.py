"""From a department file to canonical rows, in bounded chunks.

`open_extract` checks the file against its name and finds the header; `canonical_chunks`
then yields blocks of rows column by column in the contract's order, each value already
in its stored spelling (or None), with the source row numbers. Cells that cannot be read go to the
problem log and are staged as NULL, so the gate can still report every other rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cityops.contracts import Column, Contract
from cityops.extract import arrowcsv
from cityops.extract.cellblock import Block, Cells
from cityops.extract.columns import ColumnReader, Report
from cityops.extract.datarows import data_mask
from cityops.extract.derive import DERIVATIONS
from cityops.extract.layout import HEADER_SEARCH_ROWS, Layout, data_rows, find_layout
from cityops.extract.pii import PersonalHasher, mask_personal
from cityops.extract.sheets import sheets
from cityops.extract.sniff import FileKind, FileRefused, sniff
from cityops.extract.values import Refusal, parse_cell
from cityops.extract.workbook import SheetRows
from cityops.problems import Problem, ProblemLog
from cityops.reference import official_streets, reference_values, registry_words

CHUNK_ROWS = 20_000


@dataclass
class Chunk:
    """A block of data rows, column by column (contract order), with their source row numbers."""

    numbers: list[int] | np.ndarray
    columns: list[pa.Array]  # of stored text (string), one per contract column

    def __len__(self) -> int:
        return len(self.numbers)


@dataclass
class Extract:
    kind: FileKind
    layout: Layout
    rows: Iterator[tuple[int, list[Any]]]
    path: Path | None = None
    header_width: int = 0  # cells in the header row as read
    blocks: Iterator[Block] | None = None  # a workbook's first rows and the rest, by column (`rows` again)


def open_extract(path: Path, contract: Contract, log: ProblemLog) -> Extract | None:
    """The file's table, or None when the file as a whole is refused (logged)."""
    anything = False  # any row in any visible sheet: an empty sheet after the data sheet is not an empty file
    try:
        kind = sniff(path)
        for rows in sheets(path, kind):
            head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
            anything = anything or any(not _blank(cell) for _, cells in head for cell in cells)
            layout, problems = find_layout(head, contract)
            if layout is not None:
                for problem in problems:
                    log.add(problem)
                width = next((len(cells) for number, cells in head if number == layout.header_row), 0)
                blocks = _workbook_blocks(head, rows) if isinstance(rows, SheetRows) else None
                return Extract(kind, layout, itertools.chain(head, rows), path, width, blocks)
    except FileRefused as refused:
        log.add(file_problem(refused, path, contract))
        return None
    if not anything:
        log.add(Problem.of("empty_file"))
    else:
        log.add(
            Problem.of(
                "no_header",
                allowed="、".join(c.header for c in contract.columns if not c.derive),
                dataset_zh=contract.title_zh,
                dataset_en=contract.title_en,
            )
        )
    return None


def _workbook_blocks(head: list[tuple[int, list[Any]]], rows: SheetRows) -> Iterator[Block]:
    if head:
        yield Block.of(head[0][0], [cells for _, cells in head])
    yield from rows.blocks()


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def file_problem(refused: FileRefused, path: Path, contract: Contract) -> Problem:
    details = dict(refused.details)
    value = path.name if refused.rule == "not_what_name_says" else details.pop("suffix", None)
    return Problem.of(refused.rule, None, None, value, **details)


def _allowed(col: Column, refusal: Refusal) -> dict[str, str]:
    if refusal.rule == "unknown_street":
        return {"allowed": "、".join(official_streets())}
    if refusal.rule == "not_in_list":
        values = col.values or ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ")
        return {"allowed": "、".join(values)}
    if refusal.rule == "not_in_reference":
        names = reference_values(col.reference or "")
        shown = "、".join(names[:40]) + ("……" if len(names) > 40 else "")
        return {"allowed": shown, **registry_words(col.reference or "")}
    return {"allowed": refusal.allowed}


def _blocks(rows: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[tuple[int, list[Any]]]]:
    while block := list(itertools.islice(rows, size)):
        yield block


def _transposed(block: list[tuple[int, list[Any]]], width: int) -> list[list[Any]]:
    """The block's cells by column position (short rows padded with None), in C, not per cell."""
    rows = [cells if len(cells) == width else (cells + [None] * width)[:width] for _, cells in block]
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def canonical_chunks(
    extract: Extract, contract: Contract, log: ProblemLog, hasher: PersonalHasher | None = None
) -> Iterator[Chunk]:
    """The data rows, a block at a time, column by column in contract order.

    A CSV's body is read by Arrow (arrowcsv.py) when it can be; where Arrow gives up, the
    Python reader goes on from the first row not yet handed out."""
    normalise = _Normaliser(extract.layout, contract, log, hasher)
    if extract.blocks is not None:
        yield from _workbook_chunks(extract.blocks, extract.layout, normalise)
        return
    rows, seen_data = extract.rows, False
    if extract.path is not None and arrowcsv.eligible(extract.kind):
        body = arrowcsv.Body(extract.path, extract.kind, extract.layout.header_row, extract.header_width)
        try:
            for block in body.blocks():
                yield normalise.arrays(block.numbers, block.columns)
            return
        except arrowcsv.GaveUp as gave_up:
            rows, seen_data = _resumed(extract, gave_up.resume_at), gave_up.seen_data
    width = max(extract.layout.columns, default=-1) + 1
    for block in _blocks(data_rows(rows, extract.layout, seen_data), CHUNK_ROWS):
        by_position = _transposed(block, width)
        yield normalise.arrays([number for number, _ in block], [_cells_array(c) for c in by_position], by_position)


def _workbook_chunks(blocks: Iterator[Block], layout: Layout, normalise: _Normaliser) -> Iterator[Chunk]:
    """A workbook's data rows, a block from the reader's child at a time, never as Python rows."""
    seen_data = False
    for block in blocks:
        below = max(0, min(block.count, layout.header_row + 1 - block.first))  # rows down to the header
        block = block.rest(below)
        keep, seen_data = data_mask(block.count, [c.array for c in block.columns[:3]], block.row, seen_data)
        if keep.any():
            yield normalise.cells(block.numbers[keep], [column.filter(keep) for column in block.columns])


def _resumed(extract: Extract, number: int) -> Iterator[tuple[int, list[Any]]]:
    """The file's rows again, from row `number` on (Python's reader)."""
    assert extract.path is not None
    rows = next(iter(sheets(extract.path, extract.kind)))
    return itertools.dropwhile(lambda row: row[0] < number, rows)


def _cells_array(cells: list[Any]) -> pa.Array | None:
    try:
        return pa.array(cells, pa.string())  # refuses numbers and dates: cells from Excel
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return None


class _Normaliser:
    """Columns of raw cells (by position in the file) in; a Chunk in contract order out."""

    def __init__(self, layout: Layout, contract: Contract, log: ProblemLog, hasher: PersonalHasher | None) -> None:
        positions = {name: index for index, name in layout.columns.items()}
        self.log = log
        self.readers = [(col, positions.get(col.name), ColumnReader(col, hasher)) for col in contract.columns]
        names = [col.name for col in contract.columns]
        self.derived = [  # (column index, derivation, indexes of its inputs)
            (names.index(col.name), DERIVATIONS[col.derive], [names.index(n) for n in col.derive_from])
            for col in contract.derived_columns
        ]

    def arrays(
        self, numbers: list[int] | np.ndarray, arrays: list[pa.Array | None], cells: list[list[Any]] | None = None
    ) -> Chunk:
        """`arrays[i]` is the text of the file's column i (None: not all text, see `cells[i]`)."""

        def read(reader: ColumnReader, position: int, report: Report) -> pa.Array:
            array = arrays[position]
            if array is None:
                assert cells is not None
                return reader.read(cells[position], report)
            return reader.read_array(array, report, cells[position] if cells is not None else None)

        return self._chunk(numbers, read)

    def cells(self, numbers: np.ndarray, columns: list[Cells]) -> Chunk:
        """A workbook's columns as the reader's child sent them (cellblock.py)."""
        return self._chunk(numbers, lambda reader, position, report: reader.read_cells(columns[position], report))

    def _chunk(self, numbers: list[int] | np.ndarray, read: Callable[[ColumnReader, int, Report], pa.Array]) -> Chunk:
        count = len(numbers)
        columns: list[pa.Array] = []
        for col, position, reader in self.readers:
            if col.derive or position is None:
                # Derived below; a missing column was reported once, with the header.
                filler = None if col.derive else parse_cell(None, col)[0]
                columns.append(pa.nulls(count, pa.string()) if filler is None else pa.array([filler] * count))
                continue

            def report(index: int, cell: Any, refusal: Refusal, col: Column = col) -> None:
                shown = mask_personal(cell) if col.personal else cell  # never a caller's number in clear
                self.log.add(Problem.of(refusal.rule, int(numbers[index]), col.header, shown, **_allowed(col, refusal)))

            columns.append(read(reader, position, report))
        for index, derivation, inputs in self.derived:
            values = zip(*(columns[i].to_pylist() for i in inputs), strict=True)
            columns[index] = pa.array([derivation(*row) for row in values], pa.string())
        return Chunk(numbers, columns)
