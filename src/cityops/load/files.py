"""Keeping a department's file: the archive (loaded) or the quarantine (rejected), safely.

Nothing is lost: every file received ends in one of them. A file picked up from
`landing/` is moved; a file given on the command line is copied, so a department's own
copy stays where it was. Each decision gets its own folder (its reports go beside the
file), so a resubmission never overwrites the evidence of an earlier one.

- Only the file's base name is used, cleaned of control characters and separators, so a
  name can never lead outside the decision folder (and so outside CITYOPS_HOME).
- A copy is written under a temporary name and renamed into place: a disk that fills
  mid-copy leaves no partial file, only the error. A move within one disk is a rename.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import uuid
from pathlib import Path

from cityops.errors import PlacementRefused
from cityops.settings import Home

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]")


def safe_name(name: str) -> str:
    """A base name fit to place: no separators, no control characters, not hidden, not empty."""
    name = _UNSAFE.sub("_", os.path.basename(name.replace("\\", "/"))).strip()
    if name in {"", ".", ".."}:
        return "file"
    return "_" + name[1:] if name.startswith(".") else name


def place(source: Path, folder: Path, root: Path, *, move: bool, mode: int | None = None) -> Path:
    """Move (or copy) `source` into `folder` under its safe base name; the placed path."""
    folder_real = folder.resolve()
    target = folder / safe_name(source.name)
    if not folder_real.is_relative_to(root.resolve()) or target.resolve().parent != folder_real:
        raise PlacementRefused(f"refusing to place {source.name!r} outside {folder}")
    if move:
        try:
            os.rename(source, target)  # same disk: atomic, needs no space
            _chmod(target, mode)
            return target
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
    partial = folder / f".partial-{uuid.uuid4().hex}"
    try:
        shutil.copy2(source, partial)
        _chmod(partial, mode)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if move:
        source.unlink()
    return target


def _chmod(path: Path, mode: int | None) -> None:
    if mode is not None:
        os.chmod(path, mode)


def in_landing(path: Path, home: Home) -> bool:
    return path.resolve().is_relative_to(home.landing.resolve())


def landed_at(path: Path, home: Home) -> dt.datetime | None:
    """When a file in landing/ was put there (its modification time); None for any other file."""
    if not in_landing(path, home):
        return None
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def decision_folder(base: Path, dataset: str, period: str, batch_id: str | None) -> Path:
    """`<base>/<dataset>/<month>/<stamp>_<batch>`: one folder per decision, never reused."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    folder = base / dataset / period / f"{stamp}_{(batch_id or uuid.uuid4().hex)[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def private_folder(base: Path, dataset: str, period: str, batch_id: str | None) -> Path:
    """A decision folder readable by the service user only (it may hold personal data in clear)."""
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = decision_folder(base, dataset, period, batch_id)
    os.chmod(folder, 0o700)
    return folder


def archive(path: Path, dataset: str, period: str, batch_id: str | None, home: Home) -> Path:
    """The loaded (or unchanged) file, in its own folder under archive/; the placed path."""
    folder = decision_folder(home.archive, dataset, period, batch_id)
    return place(path, folder, home.root, move=in_landing(path, home))


def quarantine(path: Path, dataset: str, period: str, batch_id: str | None, home: Home) -> Path:
    """The rejected file, in a private folder under quarantine/; the placed path."""
    folder = private_folder(home.quarantine, dataset, period, batch_id)
    return place(path, folder, home.root, move=in_landing(path, home), mode=0o600)
