"""A block of a sheet's rows, column by column, as the workbook reader sends it between processes.

Sending rows as pickled Python cells cost more than calamine's read itself (a million
objects pickled in the child and built again in the reader). So the child sends each column
as one Arrow array of the cells' common kind (text, naive datetime, float), and apart, by
position, the few cells of another kind (a blank among datetimes, a date, a number in a
text column); the reader normalises the arrays as it does a CSV's. `Cells` gives back
exactly the cells calamine gave, so every other use of the rows sees what it always saw.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

_ROWS_AT_ONCE = 512
_ROWS_ONE_BY_ONE = 32  # rows of a block asked for cell by cell before all its cells are made at once
# calamine's datetimes are naive (Excel has no time zones), so a timestamp array holds them exactly.
_KINDS = ((str, pa.string()), (dt.datetime, pa.timestamp("us")), (float, pa.float64()))


@dataclass
class Cells(Sequence):
    """One column of a block: `array` holds the cells of its kind (null where a cell is None or
    one of `others`), `others` the rest by position."""

    array: pa.Array
    others: dict[int, Any]

    @classmethod
    def of(cls, cells: Sequence[Any]) -> Cells:
        try:
            return cls(pa.array(cells, pa.string()), {})  # all text (or blank): the common case, in C
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass
        counts = Counter(map(type, cells))
        kind, arrow_type = max(_KINDS, key=lambda k: counts[k[0]])
        if counts.keys() <= {kind, type(None)}:
            return cls(pa.array(cells, arrow_type), {})  # a whole column of datetimes or numbers
        # Exact types: a bool is no number here, nor a date a datetime.
        fitting = [cell if type(cell) is kind else None for cell in cells]
        others = {i: cell for i, cell in enumerate(cells) if cell is not None and type(cell) is not kind}
        return cls(pa.array(fitting, arrow_type), others)

    @property
    def text_only(self) -> bool:
        return not self.others and pa.types.is_string(self.array.type)

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index):  # type: ignore[override]
        found = self.others.get(index, self)
        return self.array[index].as_py() if found is self else found

    def to_list(self, start: int = 0, stop: int | None = None) -> list[Any]:
        stop = len(self.array) if stop is None else stop
        part = self.array.slice(start, stop - start)
        if pa.types.is_timestamp(part.type):  # numpy makes the same datetimes (and None) thirty times faster
            cells = part.to_numpy(zero_copy_only=False).astype(object).tolist()
        else:
            cells = part.to_pylist()
        for index, cell in self.others.items():
            if start <= index < stop:
                cells[index - start] = cell
        return cells

    def filter(self, keep: np.ndarray) -> Cells:
        if keep.all():
            return self
        moved = np.cumsum(keep) - 1  # each kept cell's new position
        others = {int(moved[i]): cell for i, cell in self.others.items() if keep[i]}
        return Cells(self.array.filter(pa.array(keep)), others)


@dataclass
class Block:
    """Consecutive rows of a sheet, numbered from `first`, as columns of equal length."""

    first: int
    count: int
    columns: list[Cells]
    _rows: list[list[Any]] | None = field(default=None, repr=False, compare=False)  # once many were asked for
    _asked: int = field(default=0, repr=False, compare=False)

    @classmethod
    def of(cls, first: int, rows: list[list[Any]]) -> Block:
        """calamine's rows all have the sheet's width; shorter ones would be padded with None."""
        width = max(map(len, rows), default=0)
        padded = [cells if len(cells) == width else [*cells, *[None] * (width - len(cells))] for cells in rows]
        return cls(first, len(rows), [Cells.of(column) for column in zip(*padded, strict=True)])

    @property
    def numbers(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.count, dtype=np.int64)

    def row(self, index: int) -> list[Any]:
        """One row's cells: a few cell by cell, and when many rows are asked for (a sheet whose
        first column is empty makes every row doubtful), all the block's cells made at once."""
        if self._rows is None:
            self._asked += 1
            if self._asked <= _ROWS_ONE_BY_ONE:
                return [column[index] for column in self.columns]
            self._rows = [cells for _, cells in self.rows()]
        return self._rows[index]

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Made Python objects a few hundred rows at a time: the header search wants thirty."""
        for start in range(0, self.count, _ROWS_AT_ONCE):
            stop = min(start + _ROWS_AT_ONCE, self.count)
            numbers = range(self.first + start, self.first + stop)
            if not self.columns:
                yield from ((number, []) for number in numbers)
                continue
            cells = zip(*(column.to_list(start, stop) for column in self.columns), strict=True)
            yield from zip(numbers, map(list, cells), strict=True)

    def rest(self, start: int) -> Block:
        """The rows from `start` on."""
        if not start:
            return self
        keep = np.arange(self.count) >= start
        return Block(self.first + start, self.count - start, [column.filter(keep) for column in self.columns])
