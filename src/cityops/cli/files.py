"""`cityops validate`, `ingest` and `withdraw`: one department file checked (and loaded), or taken back."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def _file_command(file: Path, dataset: str, period: str, as_json: bool, dry_run: bool) -> None:
    from cityops.validate.worker import gate_worker

    gate_worker()  # GX starts importing in its worker now, while this process imports the reader
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


@click.command()
@click.option("--dataset", required=True, help="Dataset id, e.g. garbage_sorting.")
@click.option("--period", required=True, help="Reporting month, YYYY-MM.")
@click.option("--reason", required=True, help="Why the batch is withdrawn (kept in the audit and shown in the marts).")
@click.option("--by", "by", default=None, help="Who asks for it (default: the login name).")
@click.option("--batch", "batch_id", default=None, help="The batch id expected to be current (refused if not).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def withdraw(dataset: str, period: str, reason: str, by: str | None, batch_id: str | None, as_json: bool) -> None:
    """Withdraw a month's current batch without a replacement; the marts drop it at the next build."""
    import getpass

    from cityops.ingest import resolve_contract
    from cityops.load.withdraw import withdraw as withdraw_batch
    from cityops.periods import parse_period

    resolve_contract(dataset)
    done = withdraw_batch(dataset, parse_period(period), reason=reason, by=by or getpass.getuser(), batch_id=batch_id)
    if as_json:
        click.echo(json.dumps(done.to_json(), ensure_ascii=False))
        return
    click.echo(
        f"withdrawn: {done.dataset} {done.period}, batch {done.batch_id} ({done.rows} rows), "
        f"by {done.withdrawn_by}: {done.reason}. The marts drop it at the next build: cityops build"
    )
