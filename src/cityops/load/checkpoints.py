"""Named moments of a load, announced as Python audit events, so a fault test can stop there.

A test proving that a crash at a given moment leaves no partial batch must stop the
process at that moment. It does so from its own code: it starts `cityops` with a
`sitecustomize` that installs an audit hook (tests/fault_injection/). cityops installs
no audit hook and reads no setting here, so in production `reached` is `sys.audit` with
no listener: nothing happens, whatever the environment says.
"""

from __future__ import annotations

import sys

EVENT = "cityops.checkpoint"
POINTS = ("reading", "copy", "staged", "publish", "restore")


def reached(point: str) -> None:
    sys.audit(EVENT, point)
