"""landing/: where department files wait, one folder per dataset, each file named with its month.

`landing/<dataset>/2025-03.xlsx` (or `2025-03_corrected.csv`) is picked up by `cityops run`,
the month close and the dataset's ingest DAG. A file not named with its month, or not an
.xlsx, .xls or .csv, stays where it is and is logged, so someone renames or removes it.

A symbolic link in landing/ (a linked file, or a file in a linked folder) is never read,
wherever it points: it stays where it is, logged, and `ingest` refuses it. Departments
upload files, not links; a link could make the close copy any file the service user can
read into the archive, or move the link instead of the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cityops.contracts import dataset_ids
from cityops.extract.sniff import CSV_SUFFIXES, XLS_SUFFIXES, XLSX_SUFFIXES
from cityops.periods import period_of_file
from cityops.settings import Home

log = logging.getLogger("cityops.landing")
SUFFIXES = XLSX_SUFFIXES | XLS_SUFFIXES | CSV_SUFFIXES


def linked(path: Path, home: Home | None = None) -> bool:
    """True when `path` lies under landing/ through a symbolic link (itself or a folder of it)."""
    landing = Path(os.path.abspath((home or Home.from_env()).landing))
    current = Path(os.path.abspath(path))
    if not current.is_relative_to(landing):
        return False
    while current != landing:
        if current.is_symlink():
            return True
        current = current.parent
    return False


def waiting(dataset: str, home: Home | None = None, *, periods: set[str] | None = None) -> list[tuple[str, Path]]:
    """(period, file) for each file of `dataset` waiting in landing/ (only `periods`' if given), oldest first."""
    home = home or Home.from_env()
    folder = home.landing / dataset
    if not folder.is_dir():
        return []
    found = []
    entries = [p for p in folder.iterdir() if p.is_file() or p.is_symlink()]
    files = sorted(entries, key=lambda p: (p.lstat().st_mtime, p.name))
    for path in files:
        period = period_of_file(path)
        if linked(path, home):
            log.warning("%s: a symbolic link; landing/ takes real files only, it is left where it is", path)
        elif period is None:
            log.warning("%s: not named with its month (YYYY-MM…); rename it, e.g. 2025-03.xlsx", path)
        elif path.suffix.lower() not in SUFFIXES:
            log.warning("%s: not an .xlsx, .xls or .csv file; it is left where it is", path)
        elif periods is None or period in periods:
            found.append((period, path))
    return found


def waiting_for(periods: list[str], home: Home | None = None) -> dict[str, list[tuple[str, Path]]]:
    """Every dataset's files waiting for the months, each dataset's in month order, oldest first within one."""
    wanted = set(periods)
    found = {}
    for dataset in dataset_ids():
        files = waiting(dataset, home, periods=wanted)
        if files:
            found[dataset] = sorted(files, key=lambda item: item[0])  # stable: a month's files stay oldest first
    return found
