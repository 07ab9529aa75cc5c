"""Named points in a load where a test can stop the process (SIGKILL) to prove that a
crash at that moment leaves no partial batch. Inert unless CITYOPS_PAUSE_AT names one.

The process writes its pid to CITYOPS_PAUSE_MARKER and waits there. A test either kills
it, or removes the marker to let it go on (after stopping the warehouse under it, say).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("reading", "copy", "staged", "publish")


def checkpoint(name: str) -> None:
    if os.environ.get("CITYOPS_PAUSE_AT") != name:
        return
    marker = os.environ.get("CITYOPS_PAUSE_MARKER")
    if not marker:
        time.sleep(600)  # the test kills us here
        return
    Path(marker).write_text(str(os.getpid()))
    deadline = time.monotonic() + 600
    while Path(marker).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
