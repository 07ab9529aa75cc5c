"""From a department file to canonical rows, in bounded chunks.

`open_extract` checks the file against its name and finds the header; `canonical_chunks`
then yields blocks of rows column by column in the contract's order, each value already
in its stored spelling (or None), with the source row numbers. Cells that cannot be read go to the
problem log and are staged as NULL, so the gate can still report every other rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from cityops.contracts import Column, Contract
from cityops.extract.columns import ColumnReader
from cityops.extract.derive import DERIVATIONS
from cityops.extract.layout import HEADER_SEARCH_ROWS, Layout, data_rows, find_layout
from cityops.extract.pii import PersonalHasher
from cityops.extract.sheets import sheets
from cityops.extract.sniff import FileKind, FileRefused, sniff
from cityops.extract.values import Refusal, parse_cell
from cityops.problems import Problem, ProblemLog
from cityops.reference import official_streets, reference_values, registry_words

CHUNK_ROWS = 20_000


@dataclass
class Chunk:
    """A block of data rows, column by column (contract order), with their source row numbers."""

    numbers: list[int]
    columns: list[pa.Array]  # of stored text (string), one per contract column

    def __len__(self) -> int:
        return len(self.numbers)


@dataclass
class Extract:
    kind: FileKind
    layout: Layout
    rows: Iterator[tuple[int, list[Any]]]


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
                return Extract(kind, layout, itertools.chain(head, rows))
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
    """The data rows, CHUNK_ROWS at a time, column by column in contract order."""
    positions = {name: index for index, name in extract.layout.columns.items()}
    readers = [(col, positions.get(col.name), ColumnReader(col, hasher)) for col in contract.columns]
    names = [col.name for col in contract.columns]
    derived = [  # (column index, derivation, indexes of its inputs)
        (names.index(col.name), DERIVATIONS[col.derive], [names.index(n) for n in col.derive_from])
        for col in contract.derived_columns
    ]
    width = max(extract.layout.columns, default=-1) + 1
    for block in _blocks(data_rows(extract.rows, extract.layout), CHUNK_ROWS):
        numbers = [number for number, _ in block]
        by_position = _transposed(block, width)
        columns: list[pa.Array] = []
        for col, position, reader in readers:
            if col.derive or position is None:
                # Derived below; a missing column was reported once, with the header.
                filler = None if col.derive else parse_cell(None, col)[0]
                columns.append(pa.nulls(len(block), pa.string()) if filler is None else pa.array([filler] * len(block)))
                continue
            cells = by_position[position]

            def report(
                index: int, cell: Any, refusal: Refusal, col: Column = col, numbers: list[int] = numbers
            ) -> None:
                log.add(Problem.of(refusal.rule, numbers[index], col.header, cell, **_allowed(col, refusal)))

            columns.append(reader.read(cells, report))
        for index, derivation, inputs in derived:
            values = zip(*(columns[i].to_pylist() for i in inputs), strict=True)
            columns[index] = pa.array([derivation(*row) for row in values], pa.string())
        yield Chunk(numbers, columns)
