"""`cityops validate` and `cityops ingest`: one department file, checked (and loaded)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def _file_command(file: Path, dataset: str, period: str, as_json: bool, dry_run: bool) -> None:
    from cityops.ingest import ingest
    from cityops.report.console import print_outcome

    outcome = ingest(file, dataset, period, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), ensure_ascii=False))
    else:
        print_outcome(outcome)
    sys.exit(outcome.exit_code)


_file_options = [
    click.argument("file", type=click.Path(path_type=Path)),
    click.option("--dataset", required=True, help="Dataset id, e.g. garbage_sorting."),
    click.option("--period", required=True, help="Reporting month, YYYY-MM."),
    click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout."),
]


def _with_file_options(func):
    for option in reversed(_file_options):
        func = option(func)
    return func


@click.command()
@_with_file_options
def validate(file: Path, dataset: str, period: str, as_json: bool) -> None:
    """Run every check on FILE; store nothing (a department's dry run)."""
    _file_command(file, dataset, period, as_json, dry_run=True)


@click.command()
@_with_file_options
def ingest(file: Path, dataset: str, period: str, as_json: bool) -> None:
    """Check FILE and load it if it passes; a rejected file goes to quarantine with its report."""
    _file_command(file, dataset, period, as_json, dry_run=False)
