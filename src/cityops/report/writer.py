"""The reports a department reads, written into the folder of a decision.

Beside a rejected file, beside a loaded file that drew warnings, and for a dry run
(`cityops validate`, under `validate/`), go: `report.json` (the interface's JSON),
`report.md` / `report.html` (中文 + English) and `<name>.marked.xlsx`, their own sheet
with each problem on its cell. Where the folder is, load/files.py decides.

Each file is written whole or not at all, like the kept file and the batch: under a
temporary name beside it, synced, then renamed into place. A disk that fills mid-report
leaves the report files that were finished and no half of the one that was not.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import uuid
from pathlib import Path

from cityops.contracts import get_contract
from cityops.load.files import private_folder
from cityops.outcomes import Outcome
from cityops.report.marked import MarkedCopy, marked_name, write_marked_copy
from cityops.report.notice import html_report, markdown_report
from cityops.settings import Home

log = logging.getLogger("cityops.report")


def dry_run_folder(outcome: Outcome, home: Home) -> Path:
    """A department's check before it submits: its reports (and marked copy) go under validate/."""
    return private_folder(home.root / "validate", outcome.dataset, outcome.period, outcome.batch_id)


def write_reports(source: Path, outcome: Outcome, folder: Path, *, dry_run: bool = False) -> None:
    """report.json, report.md, report.html and the marked copy of `source`, into `folder`."""
    outcome.report_folder = str(folder)
    marked = None
    if outcome.problems.counts:
        marked = _marked_copy(source, outcome, folder / marked_name(source))
    options = {"dry_run": dry_run, "marked": marked}
    data = outcome.to_json()
    if marked is not None:
        data["marked_copy"] = str(marked.path) if marked.path else None
    reports = {
        "report.json": json.dumps(data, ensure_ascii=False, indent=2),
        "report.md": markdown_report(outcome, source.name, **options),
        "report.html": html_report(outcome, source.name, **options),
    }
    for name, text in reports.items():
        write_whole(folder / name, text.encode("utf-8"))


def _partial(path: Path) -> Path:
    return path.with_name(f".partial-{uuid.uuid4().hex}-{path.name}")


def write_whole(path: Path, data: bytes) -> None:
    """`path` holds `data` whole, or is left as it was: a temporary file, synced, renamed over it."""
    partial = _partial(path)
    try:
        with partial.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _marked_copy(source: Path, outcome: Outcome, target: Path) -> MarkedCopy:
    """A report must never cost the decision: a copy that fails is reported, not raised."""
    partial = _partial(target)
    try:
        copy = write_marked_copy(source, get_contract(outcome.dataset), outcome.problems, partial, outcome.rows)
        if copy.path is not None:
            os.replace(partial, target)
            copy = dataclasses.replace(copy, path=target)
        return copy
    except Exception:
        log.exception("marked copy of %s failed", source)
        partial.unlink(missing_ok=True)
        return MarkedCopy(
            None,
            skipped_zh="标注副本生成失败，请按本报告所列行号修改。",
            skipped_en="The marked copy could not be written; use the row numbers in this report.",
        )
