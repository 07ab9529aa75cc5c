"""Exit codes of `cityops`, and the one way a command stops with a message.

0 passed, 1 rejected (or a check that found something stale), 2 a usage error, 3 the
system failed (warehouse down, dbt failed): retry after fixing what the message says.
"""

from __future__ import annotations

import sys

import click

EXIT_REJECTED = 1
EXIT_FAILED = 3


def fail(message: str, code: int) -> None:
    click.echo(f"cityops: {message}", err=True)
    sys.exit(code)
