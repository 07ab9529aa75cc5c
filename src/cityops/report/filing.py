"""Nothing is lost: every file ends in the archive (loaded) or the quarantine (rejected).

A file picked up from `landing/` is moved; a file given on the command line is copied,
so a department's own copy stays where it was. Each decision gets its own folder, so a
resubmission never overwrites the evidence of an earlier one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from cityops.report.rejection import markdown_report
from cityops.settings import Home

if TYPE_CHECKING:
    from cityops.pipeline import Outcome


def in_landing(path: Path, home: Home) -> bool:
    return path.resolve().is_relative_to(home.landing.resolve())


def _folder(base: Path, outcome: Outcome) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    folder = base / outcome.dataset / outcome.period / f"{stamp}_{(outcome.batch_id or 'x')[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _place(path: Path, folder: Path, home: Home) -> Path:
    target = folder / path.name
    if in_landing(path, home):
        shutil.move(str(path), target)
    else:
        shutil.copy2(path, target)
    return target


def archive(path: Path, outcome: Outcome, home: Home) -> Path:
    return _place(path, _folder(home.archive, outcome), home)


def quarantine(path: Path, outcome: Outcome, home: Home) -> Path:
    """The file, `report.json` (the interface's JSON) and `report.md` (for the clerk)."""
    home.quarantine.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = _folder(home.quarantine, outcome)
    os.chmod(folder, 0o700)
    target = _place(path, folder, home)
    outcome.stored_file = str(target)
    (folder / "report.json").write_text(json.dumps(outcome.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / "report.md").write_text(markdown_report(outcome, path.name), encoding="utf-8")
    return target
