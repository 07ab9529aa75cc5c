"""The body of a CSV read by Arrow's C++ reader, once the Python path has found its header.

`open_extract` reads the first rows with Python's csv module and finds the header; the
rows below it are read here by pyarrow's streaming CSV reader, every cell as text, and
reach the column readers as Arrow arrays. What comes out is what the Python path
(sheets.py, layout.data_rows) gives, row for row and cell for cell
(tests/extract/test_arrow_csv.py):
- Row numbers are record numbers. pyarrow counts records as Python's csv module does (a
  line break inside quotes is no new row; a blank line is a row). A row without the
  header's number of cells goes to the invalid-row handler with its number; it is read
  by Python's csv module and put back in its place.
- Blank, totals, footer and units rows: a vectorised test finds the rows that could be
  one (an empty or space-led cell, a first cell that starts like 合计 or 填报单位, in the first
  three columns), and only those go to `layout.is_data_row`, as every row before the
  first data row does.
- Whatever Arrow cannot read (bytes that are not the file's encoding, a cell larger than
  a block) stops this path at the last row handed out: `GaveUp.resume_at` is where the
  Python path goes on, and it says what is wrong with the row as it always has.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from cityops.extract.datarows import doubtful
from cityops.extract.layout import is_data_row
from cityops.extract.sniff import FileKind

ENCODINGS = {"utf-8": "utf8", "utf-8-sig": "utf8", "gb18030": "gb18030"}
BLOCK_BYTES = 1 << 20  # about 5,000 hotline rows a block


class GaveUp(Exception):
    """Arrow cannot go on; every row numbered below `resume_at` has been handed out."""

    def __init__(self, resume_at: int, seen_data: bool) -> None:
        super().__init__(f"the Python reader goes on at row {resume_at}")
        self.resume_at = resume_at
        self.seen_data = seen_data


def eligible(kind: FileKind) -> bool:
    return kind.format == "csv" and kind.encoding in ENCODINGS and kind.delimiter in (",", "\t")


@dataclass
class Rows:
    """Data rows of one block: their numbers and every column of the file, by position."""

    numbers: np.ndarray  # int64
    columns: list[pa.Array]  # text; None where a short row has no cell


class Body:
    """The rows below the header row, in blocks of data rows."""

    def __init__(self, path: Path, kind: FileKind, header_row: int, width: int) -> None:
        self.path, self.kind, self.width = path, kind, max(1, width)
        self.next_number = header_row + 1  # the first row not handed out yet
        self.seen_data = False
        self._header_row = header_row
        self._stray: list[tuple[int, str]] = []  # (number, text) of rows with another number of cells
        self._lost = False

    def _invalid(self, row: Any) -> str:
        if row.number is None:
            self._lost = True
            return "error"
        self._stray.append((row.number, row.text))
        return "skip"

    def _reader(self) -> pa_csv.CSVStreamingReader:
        names = [f"c{i}" for i in range(self.width)]
        return pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(
                column_names=names,
                skip_rows_after_names=self._header_row,
                encoding=ENCODINGS[self.kind.encoding or ""],
                block_size=BLOCK_BYTES,
                use_threads=False,  # two cores: the other one is PostgreSQL's, taking the COPY
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=self.kind.delimiter or ",",
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=self._invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _gave_up(self) -> GaveUp:
        return GaveUp(self.next_number, self.seen_data)

    def blocks(self) -> Iterator[Rows]:
        try:
            reader = self._reader()
        except Exception as exc:  # pyarrow raises several types; the Python path will say what is wrong
            raise self._gave_up() from exc
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except Exception as exc:
                raise self._gave_up() from exc
            if self._lost:
                raise self._gave_up()
            rows = self._block(batch.columns, batch.num_rows)
            if rows is not None:
                yield rows
        rows = self._block([pa.array([], pa.string())] * self.width, 0, final=True)
        if rows is not None:
            yield rows

    def _numbers(self, count: int, final: bool) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """Numbers of the block's `count` rows, and the stray rows among (or, at the end, after) them."""
        start = self.next_number
        stray = np.array([number for number, _ in self._stray], dtype=np.int64)
        if len(stray) and stray[0] < start:
            raise self._gave_up()  # a row reported after the rows below it: never seen, never trusted
        if final:  # the rows after the last block: all of them stray
            taken, end = len(stray), start + count + len(stray) - 1
        else:
            taken, end = 0, start + count - 1
            while True:
                now = int(np.searchsorted(stray, end, side="right"))
                if now == taken:
                    break
                taken, end = now, start + count - 1 + now
        span = np.arange(start, end + 1, dtype=np.int64)
        numbers = np.setdiff1d(span, stray[:taken], assume_unique=True)
        if len(numbers) != count or len(span) != count + taken:
            raise self._gave_up()
        strays, self._stray = self._stray[:taken], self._stray[taken:]
        self.next_number = end + 1
        return numbers, strays

    def _stray_cells(self, text: str) -> list[Any]:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=self.kind.delimiter or ","))
        if len(records) != 1:
            raise self._gave_up()
        return records[0]

    def _block(self, columns: list[pa.Array], count: int, final: bool = False) -> Rows | None:
        numbers, strays = self._numbers(count, final)
        stray_rows = [(number, self._stray_cells(text)) for number, text in strays]
        keep = np.ones(count, dtype=bool)
        stray_keep = [False] * len(stray_rows)
        first = 0  # batch rows before `first` are decided one by one
        s = 0
        while not self.seen_data and (first < count or s < len(stray_rows)):
            if s < len(stray_rows) and (first >= count or stray_rows[s][0] < numbers[first]):
                stray_keep[s] = self.seen_data = is_data_row(stray_rows[s][1], False)
                s += 1
            else:
                keep[first] = self.seen_data = is_data_row(_row(columns, first), False)
                first += 1
        for i in range(s, len(stray_rows)):
            stray_keep[i] = is_data_row(stray_rows[i][1], self.seen_data)
        if first < count:
            rest = [column.slice(first) for column in columns[:3]]
            for i in np.flatnonzero(doubtful(rest)).tolist():
                keep[first + i] = is_data_row(_row(columns, first + i), True)
        kept_strays = [row for row, wanted in zip(stray_rows, stray_keep, strict=True) if wanted]
        if keep.all():
            out_numbers, out_columns = numbers, list(columns)
        else:
            mask = pa.array(keep)
            out_numbers, out_columns = numbers[keep], [column.filter(mask) for column in columns]
        if kept_strays:
            out_numbers, out_columns = self._merged(out_numbers, out_columns, kept_strays)
        if not len(out_numbers):
            return None
        return Rows(out_numbers, out_columns)

    def _merged(
        self, numbers: np.ndarray, columns: list[pa.Array], strays: list[tuple[int, list[Any]]]
    ) -> tuple[np.ndarray, list[pa.Array]]:
        """The block's rows and its stray rows (padded with None, as the Python path pads), in order."""
        extra = [
            pa.array([cells[i] if i < len(cells) else None for _, cells in strays], pa.string())
            for i in range(self.width)
        ]
        all_numbers = np.concatenate([numbers, np.array([n for n, _ in strays], dtype=np.int64)])
        order = pa.array(np.argsort(all_numbers, kind="stable"))
        merged = [pc.take(pa.concat_arrays([a, b]), order) for a, b in zip(columns, extra, strict=True)]
        return all_numbers[order.to_numpy()], merged


def _row(columns: list[pa.Array], index: int) -> list[Any]:
    return [column[index].as_py() for column in columns]
