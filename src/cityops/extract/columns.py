"""Normalising a chunk of rows a column at a time, fast enough for a million-row month.

Per-cell parsing (extract/values.py) stays the single definition of what a cell means;
this module only decides how often it runs. A column of text cells becomes an Arrow
array; then
- plain text is trimmed by Arrow's kernel, and only blank or over-long cells go to
  the parser (it applies the contract's blank and length rules);
- `YYYY-MM-DD HH:MM:SS`, the export every ticket system makes, is checked and
  reformatted by Arrow kernels, and only other spellings go to the parser;
- anything else is parsed once per distinct value (streets, enums and numbers repeat).
Cells of other kinds (numbers and dates from Excel) are parsed one by one, remembered.
The result is what the parser gives, cell for cell (tests/test_extract_values.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cityops.contracts import Column
from cityops.extract.cellblock import Cells
from cityops.extract.values import Refusal, parse_cell

MEMO_LIMIT = 100_000  # distinct values remembered per column; ids and free text don't repeat
_CLEAN_DATETIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

Report = Callable[[int, Any, Refusal], None]  # (index in chunk, raw cell, refusal)


class Hasher(Protocol):
    def __call__(self, value: str | None) -> str | None: ...

    def hash_array(self, values: pa.Array) -> pa.Array: ...


class _Cells(Sequence):
    """An Arrow column's cells as the parser sees them, made Python objects only when asked."""

    def __init__(self, array: pa.Array) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index):  # type: ignore[override]
        return self.array[index].as_py()


class ColumnReader:
    """One contract column: raw cells of a chunk in, an Arrow array of stored text out."""

    def __init__(self, col: Column, hasher: Hasher | None = None) -> None:
        self.col = col
        self.hasher = hasher if col.personal else None
        self.memo: dict[Any, tuple[str | None, Refusal | None]] = {}

    def read(self, cells: list[Any], report: Report) -> pa.Array:
        try:
            array = pa.array(cells, pa.string())  # refuses numbers and dates: cells from Excel
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            array = None
        if array is None:
            values = self._datetime_cells(cells, report) if self.col.type == "datetime" else None
            if values is None:
                values = self._one_by_one(cells, report)
            return self.hasher.hash_array(values) if self.hasher is not None else values
        return self.read_array(array, report, cells)

    def read_cells(self, cells: Cells, report: Report) -> pa.Array:
        """A workbook's column as the reader's child sent it (cellblock.py): what `read` gives."""
        if cells.text_only:
            return self.read_array(cells.array, report, cells)
        if self.col.type == "datetime" and pa.types.is_timestamp(cells.array.type):
            values = self._stamped(cells.array, cells, report)
            if values is not None:
                return self.hasher.hash_array(values) if self.hasher is not None else values
        return self.read(cells.to_list(), report)

    def read_array(self, array: pa.Array, report: Report, cells: Sequence[Any] | None = None) -> pa.Array:
        """A column of text cells already in Arrow (a CSV read by Arrow): what `read` gives."""
        cells = _Cells(array) if cells is None else cells
        if self.col.type == "datetime":
            values = self._datetimes(array, cells, report)
        elif self.col.type == "text" and not self.col.reference:
            values = self._texts(array, cells, report)
        else:
            values = self._by_distinct_value(array, report)
        return self.hasher.hash_array(values) if self.hasher is not None else values

    def _parse(self, cell: Any) -> tuple[str | None, Refusal | None]:
        key = cell if not isinstance(cell, list) else str(cell)
        parsed = self.memo.get(key)
        if parsed is None:
            parsed = parse_cell(cell, self.col)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[key] = parsed
        return parsed

    def _one_by_one(self, cells: list[Any], report: Report) -> pa.Array:
        out: list[str | None] = []
        for index, cell in enumerate(cells):
            value, refusal = self._parse(cell)
            if refusal is not None:
                report(index, cell, refusal)
            out.append(value)
        return pa.array(out, pa.string())

    def _datetime_cells(self, cells: list[Any], report: Report) -> pa.Array | None:
        """A workbook's datetime cells (naive, as calamine gives them), formatted by Arrow kernels
        as the parser formats them: to the second (floored), Shanghai time. Every other cell
        (blank, text, a number, a year outside 1000–9999) goes to the parser."""
        moments = [cell if type(cell) is dt.datetime and cell.tzinfo is None else None for cell in cells]
        return self._stamped(pa.array(moments, pa.timestamp("us")), cells, report)

    def _stamped(self, stamps: pa.Array, cells: Sequence[Any], report: Report) -> pa.Array | None:
        """`stamps`: the column's naive datetime cells (null for any other cell), None if there is none."""
        if stamps.null_count == len(stamps):
            return None
        seconds = pc.floor_temporal(stamps, unit="second").cast(pa.timestamp("s"))
        fast = pc.binary_join_element_wise(
            pc.binary_replace_slice(seconds.cast(pa.string()), start=10, stop=11, replacement="T"), "+08:00", ""
        )
        year = pc.year(stamps)
        clean = pc.fill_null(pc.and_(pc.greater_equal(year, 1000), pc.less_equal(year, 9999)), False)
        return self._patched(fast, np.flatnonzero(~clean.to_numpy(zero_copy_only=False)), cells, report)

    def _by_distinct_value(self, array: pa.Array, report: Report) -> pa.Array:
        encoded = array.dictionary_encode(null_encoding="encode")
        distinct = encoded.dictionary.to_pylist()
        parsed = [self._parse(value) for value in distinct]
        refused = [k for k, (_, refusal) in enumerate(parsed) if refusal is not None]
        if refused:
            indices = encoded.indices.to_numpy(zero_copy_only=False)
            for k in refused:
                for index in np.flatnonzero(indices == k):
                    report(int(index), distinct[k], parsed[k][1])
        return pc.take(pa.array([value for value, _ in parsed], pa.string()), encoded.indices)

    def _patched(self, fast: pa.Array, slow: np.ndarray, cells: Sequence[Any], report: Report) -> pa.Array:
        """`fast` where the kernels vouch for the value, the parser's answer at `slow`."""
        if not len(slow):
            return fast
        patch: list[str | None] = [None] * len(cells)
        for index in slow.tolist():
            value, refusal = self._parse(cells[index])
            if refusal is not None:
                report(index, cells[index], refusal)
            patch[index] = value
        mask = np.zeros(len(cells), dtype=bool)
        mask[slow] = True
        return pc.if_else(pa.array(mask), pa.array(patch, pa.string()), fast)

    def _texts(self, array: pa.Array, cells: Sequence[Any], report: Report) -> pa.Array:
        trimmed = pc.utf8_trim_whitespace(array)
        doubtful = pc.fill_null(pc.equal(trimmed, ""), True)  # blank: the contract's blank rule
        if self.col.max_length:
            doubtful = pc.or_(doubtful, pc.fill_null(pc.greater(pc.utf8_length(trimmed), self.col.max_length), False))
        return self._patched(trimmed, np.flatnonzero(doubtful.to_numpy(zero_copy_only=False)), cells, report)

    def _datetimes(self, array: pa.Array, cells: Sequence[Any], report: Report) -> pa.Array:
        # strptime rolls 2025-02-30 over to 03-02, so a value is clean only if it survives a round
        # trip (a cast back to text writes the same layout as strftime, thirty times faster); year
        # 0000 has no datetime: the parser refuses it.
        parsed = pc.strptime(array, format=_DATETIME_FORMAT, unit="s", error_is_null=True)
        round_trip = pc.equal(parsed.cast(pa.string()), array)
        shaped = pc.and_not(pc.match_substring_regex(array, _CLEAN_DATETIME), pc.starts_with(array, "0000"))
        clean = pc.fill_null(pc.and_(shaped, round_trip), False)
        fast = pc.binary_join_element_wise(
            pc.binary_replace_slice(array, start=10, stop=11, replacement="T"), "+08:00", ""
        )
        slow = np.flatnonzero(~clean.to_numpy(zero_copy_only=False))
        return self._patched(fast, slow, cells, report)
