"""Placing a department's file into the archive or the quarantine, safely.

- Only the file's base name is used, cleaned of control characters and separators, so a
  name can never lead outside the decision folder (and so outside CITYOPS_HOME).
- A copy is written under a temporary name and renamed into place: a disk that fills
  mid-copy leaves no partial file, only the error. A move within one disk is a rename.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import uuid
from pathlib import Path

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]")


class PlacementRefused(RuntimeError):
    """A target would fall outside the folder it belongs in."""


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
