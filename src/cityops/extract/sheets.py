"""Rows of a department file, as the clerk sees them: (row number, cells).

Row numbers are 1-based and count title and blank rows, so a problem reported on row 7
is on the row Excel shows as 7. CSV is streamed; workbooks are read with calamine,
which is several times faster than openpyxl on large sheets, in a child process that a
broken workbook cannot take down with it (workbook.py).
"""

from __future__ import annotations

import csv
import functools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cityops.extract.sniff import FileKind, FileRefused, check_zip_parts, locate_undecodable
from cityops.extract.workbook import workbook_sheets

Row = tuple[int, list[Any]]
csv.field_size_limit(min(sys.maxsize, 1 << 24))


def _csv_rows(path: Path, kind: FileKind) -> Iterator[Row]:
    with path.open(encoding=kind.encoding, newline="", errors="strict") as fh:
        reader = csv.reader(fh, delimiter=kind.delimiter or ",")
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except UnicodeDecodeError:
            raise locate_undecodable(path, kind.encoding or "utf-8") from None
        except csv.Error as exc:
            raise FileRefused("unreadable", found="csv", after_row=number) from exc


def sheets(path: Path, kind: FileKind) -> Iterator[Iterator[Row]]:
    """Each visible sheet's rows; a CSV is one sheet. The reader takes the first with a header."""
    if kind.format == "csv":
        yield _csv_rows(path, kind)
    else:
        # calamine, in a child process; an xlsx's parts are read through meanwhile (see sniff.py)
        check = functools.partial(check_zip_parts, path) if kind.format == "xlsx" else None
        yield from workbook_sheets(path, check)
