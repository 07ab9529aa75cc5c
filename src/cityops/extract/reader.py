"""From a department file to canonical rows, in bounded chunks.

`read_extract` checks the file against its name, finds the header, and then yields
chunks of rows in the contract's column order, each value already in its stored
spelling (or None), plus the source row number. Cells that cannot be read go to the
problem log and are staged as NULL, so the gate can still report every other rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cityops.contracts import Column, Contract
from cityops.extract.derive import DERIVATIONS
from cityops.extract.layout import HEADER_SEARCH_ROWS, Layout, data_rows, find_layout
from cityops.extract.pii import PersonalHasher
from cityops.extract.sheets import sheets
from cityops.extract.sniff import FileKind, FileRefused, sniff
from cityops.extract.values import Refusal, parse_cell
from cityops.reference import official_streets, reference_values, registry_words
from cityops.validate.problems import Problem, ProblemLog

CHUNK_ROWS = 20_000
Chunk = list[list[Any]]  # each row: [_row, value per contract column]


@dataclass
class Extract:
    kind: FileKind
    layout: Layout
    rows: Iterator[tuple[int, list[Any]]]


def open_extract(path: Path, contract: Contract, log: ProblemLog) -> Extract | None:
    """The file's table, or None when the file as a whole is refused (logged)."""
    try:
        kind = sniff(path)
        for rows in sheets(path, kind):
            head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
            layout, problems = find_layout(head, contract)
            if layout is not None:
                for problem in problems:
                    log.add(problem)
                return Extract(kind, layout, itertools.chain(head, rows))
    except FileRefused as refused:
        log.add(file_problem(refused, path, contract))
        return None
    if not head:
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


def canonical_chunks(
    extract: Extract, contract: Contract, log: ProblemLog, hasher: PersonalHasher | None = None
) -> Iterator[Chunk]:
    """Rows in contract order, `[_row, *values]`, CHUNK_ROWS at a time."""
    positions = {name: index for index, name in extract.layout.columns.items()}
    plan = [(col, positions.get(col.name)) for col in contract.columns]
    memo: list[dict[Any, tuple[Any, Refusal | None]]] = [{} for _ in plan]
    names = [col.name for col in contract.columns]
    derived = [  # (slot in the row, derivation, slots of its inputs); slot 0 is _row
        (1 + names.index(col.name), DERIVATIONS[col.derive], [1 + names.index(n) for n in col.derive_from])
        for col in contract.derived_columns
    ]
    chunk: Chunk = []
    for number, cells in data_rows(extract.rows, extract.layout):
        out: list[Any] = [number]
        for slot, (col, position) in enumerate(plan):
            if col.derive:
                out.append(None)  # computed below, once the row's inputs are read
                continue
            cell = cells[position] if position is not None and position < len(cells) else None
            key = cell if not isinstance(cell, list) else str(cell)
            parsed = memo[slot].get(key)
            if parsed is None:
                parsed = parse_cell(cell, col)
                if len(memo[slot]) < 50_000:  # enums and streets repeat; ids do not
                    memo[slot][key] = parsed
            value, refusal = parsed
            if refusal is not None and position is not None:  # a missing column is reported once
                log.add(Problem.of(refusal.rule, number, col.header, cell, **_allowed(col, refusal)))
            if col.personal and hasher is not None:
                value = hasher(value)
            out.append(value)
        for index, derivation, inputs in derived:
            out[index] = derivation(*(out[i] for i in inputs))
        chunk.append(out)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
