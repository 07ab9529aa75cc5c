"""The `cityops` command's entry point.

Checking a file waits, above all, for Great Expectations to be imported (seconds). So for
`validate` and `ingest` the GX worker (validate/worker.py) is forked first, before this
process imports the command line itself: the two imports then run side by side.

A build waits, above all, for dbt to be imported and set up: `build` is handed over to the
warm build server of this CITYOPS_HOME (cli/build_server.py) when one runs, and
starts one for the next build when none does.
"""

from __future__ import annotations

import sys

GATED_COMMANDS = {"validate", "ingest"}


def run() -> None:
    command = set(sys.argv[1:3])  # `cityops [-v] build …`
    if GATED_COMMANDS & command:
        from cityops.validate.worker import gate_worker

        gate_worker(fork=True)
    if "build" in command and "--help" not in sys.argv:
        return _build()
    _main()


def _build() -> None:
    """Hand the build over to the warm server; none runs: build here, then start one."""
    from cityops.cli import build_handover

    code = build_handover.handover(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    try:
        _main()
    finally:
        build_handover.start_in_background()


def _main() -> None:
    from cityops.cli.main import main

    main()
