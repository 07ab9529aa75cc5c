"""The `cityops` command's entry point.

Checking a file waits, above all, for Great Expectations to be imported (seconds). So for
`validate` and `ingest` the GX worker (validate/worker.py) is forked first, before this
process imports the command line itself: the two imports then run side by side.
"""

from __future__ import annotations

import sys

GATED_COMMANDS = {"validate", "ingest"}


def run() -> None:
    if GATED_COMMANDS & set(sys.argv[1:3]):  # `cityops [-v] validate FILE …`
        from cityops.validate.worker import gate_worker

        gate_worker(fork=True)
    from cityops.cli.main import main

    main()
