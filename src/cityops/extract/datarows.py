"""Which rows of a block below the header carry data, decided a column at a time.

`layout.is_data_row` is the one definition; it runs on every row until the first data row
(a units row may come before it), and after that only on the rows a vectorised test finds
doubtful: an empty, blank or space-led cell, or one that starts like 合计 or 填报单位, in the
first three columns. Any other row is data: its first cell is not blank and no cell among
the first three can start a totals or footer row. A cell that is not text (a number or
date from a workbook) is never blank nor a totals word; a missing one (null) is doubtful.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cityops.extract.layout import SKIP_STARTS, is_data_row

# A cell that may make its row blank, totals or footer: it starts with a space or control
# character (Unicode spaces too) or with the first character of a totals or footer word.
_DOUBTFUL_START = "^[\\x00-\\x20\\x7f-\\xa0\\p{Z}" + "".join(re.escape(c) for c in sorted(SKIP_STARTS)) + "]"


def doubtful(columns: list[pa.Array]) -> np.ndarray:
    """Rows whose first cells could make them blank, totals or footer rows (see module doc)."""
    found = None
    for column in columns:
        if pa.types.is_string(column.type):
            test = pc.or_(
                pc.or_(pc.equal(column, ""), pc.match_substring_regex(column, _DOUBTFUL_START)),
                pc.match_substring(column, "\x00"),
            )
        else:
            test = pc.is_null(column)
        found = test if found is None else pc.or_(found, test)
    if found is None:
        return np.zeros(0, dtype=bool)
    return pc.fill_null(found, True).to_numpy(zero_copy_only=False)


def data_mask(
    count: int, first_columns: list[pa.Array], row: Callable[[int], list[Any]], seen_data: bool
) -> tuple[np.ndarray, bool]:
    """Which of `count` consecutive rows below the header are data, and whether a data row was seen."""
    keep = np.zeros(count, dtype=bool)
    index = 0
    while not seen_data and index < count:
        keep[index] = seen_data = is_data_row(row(index), False)
        index += 1
    if index < count:
        keep[index:] = True
        rest = [column.slice(index) for column in first_columns]
        for i in np.flatnonzero(doubtful(rest)).tolist():
            keep[index + i] = is_data_row(row(index + i), True)
    return keep, seen_data
