"""Loaded (via PYTHONPATH) only into the portal server a test starts: hold an upload at a checkpoint.

While the file CITYOPS_TEST_GATE exists, a load that reaches the checkpoint
CITYOPS_TEST_GATE_AT writes CITYOPS_TEST_GATE + ".held" and waits until the test
removes the gate. Without the gate, nothing waits. cityops itself has no such switch:
this is the tests' own code, listening to cityops' checkpoint audit events.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

EVENT = "cityops.checkpoint"
_POINT = os.environ.get("CITYOPS_TEST_GATE_AT")
_GATE = os.environ.get("CITYOPS_TEST_GATE")


def _hold(event: str, args: tuple) -> None:
    if event != EVENT or args != (_POINT,) or not Path(_GATE).exists():
        return
    Path(_GATE + ".held").write_text(str(os.getpid()))
    deadline = time.monotonic() + 300
    while Path(_GATE).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


if _POINT and _GATE:
    sys.addaudithook(_hold)
