"""Nothing is lost: every file ends in the archive (loaded) or the quarantine (rejected).

A file picked up from `landing/` is moved; a file given on the command line is copied,
so a department's own copy stays where it was. Each decision gets its own folder, so a
resubmission never overwrites the evidence of an earlier one.

Beside a rejected file, and beside a loaded file that drew warnings, go the reports a
department reads: `report.json` (the interface's JSON), `report.md` / `report.html`
(中文 + English) and `<name>.marked.xlsx`, their own sheet with each problem on its
cell. A dry run (`cityops validate`) leaves the same reports under `validate/`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from cityops.contracts import get_contract
from cityops.report.marked import MarkedCopy, marked_name, write_marked_copy
from cityops.report.notice import html_report, markdown_report
from cityops.settings import Home

log = logging.getLogger("cityops.report")

if TYPE_CHECKING:
    from cityops.pipeline import Outcome


def in_landing(path: Path, home: Home) -> bool:
    return path.resolve().is_relative_to(home.landing.resolve())


def _folder(base: Path, outcome: Outcome) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    folder = base / outcome.dataset / outcome.period / f"{stamp}_{(outcome.batch_id or uuid.uuid4().hex)[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _place(path: Path, folder: Path, home: Home) -> Path:
    """Only the base name is used and the copy is atomic (see load/files.py); a quarantined
    file may hold personal data in clear, so it is readable by the service user only."""
    from cityops.load.files import place

    private = folder.resolve().is_relative_to(home.quarantine.resolve())
    return place(path, folder, home.root, move=in_landing(path, home), mode=0o600 if private else None)


def archive(path: Path, outcome: Outcome, home: Home) -> Path:
    """The loaded file; with its reports when it drew warnings, so the department hears of them."""
    folder = _folder(home.archive, outcome)
    target = _place(path, folder, home)
    if outcome.problems.counts:
        outcome.stored_file = str(target)
        write_reports(target, outcome, folder)
    return target


def quarantine(path: Path, outcome: Outcome, home: Home) -> Path:
    """The file, `report.json` (the interface's JSON) and `report.md` (for the clerk)."""
    home.quarantine.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = _folder(home.quarantine, outcome)
    os.chmod(folder, 0o700)
    target = _place(path, folder, home)
    outcome.stored_file = str(target)
    write_reports(target, outcome, folder)
    return target


def dry_run(path: Path, outcome: Outcome, home: Home) -> Path:
    """A department's check before it submits: the reports (and marked copy) under validate/."""
    base = home.root / "validate"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = _folder(base, outcome)
    os.chmod(folder, 0o700)  # the marked copy holds the file's cells, personal ones included
    write_reports(path, outcome, folder, dry_run=True)
    return folder


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
    (folder / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / "report.md").write_text(markdown_report(outcome, source.name, **options), encoding="utf-8")
    (folder / "report.html").write_text(html_report(outcome, source.name, **options), encoding="utf-8")


def _marked_copy(source: Path, outcome: Outcome, target: Path) -> MarkedCopy:
    """A report must never cost the decision: a copy that fails is reported, not raised."""
    try:
        return write_marked_copy(source, get_contract(outcome.dataset), outcome.problems, target, outcome.rows)
    except Exception:
        log.exception("marked copy of %s failed", source)
        target.unlink(missing_ok=True)
        return MarkedCopy(
            None,
            skipped_zh="标注副本生成失败，请按本报告所列行号修改。",
            skipped_en="The marked copy could not be written; use the row numbers in this report.",
        )
