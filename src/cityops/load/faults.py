"""Named points in a load where a test can stop the process (SIGKILL) to prove that a
crash at that moment leaves no partial batch. Inert unless CITYOPS_PAUSE_AT names one."""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("reading", "copy", "staged", "publish")


def checkpoint(name: str) -> None:
    if os.environ.get("CITYOPS_PAUSE_AT") != name:
        return
    marker = os.environ.get("CITYOPS_PAUSE_MARKER")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(600)  # the test kills us here
