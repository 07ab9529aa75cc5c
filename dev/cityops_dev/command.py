"""`cityops samples`: the development tools' command, added to `cityops` by an entry point.

The product never imports the development tools: dev/pyproject.toml registers this command
in the `cityops.commands` entry-point group, which the command line loads at start. Where
the dev group is not installed (the production image), the command is simply not there.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--period", required=True, help="Reporting month, YYYY-MM.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to write into.")
@click.option("--seed", default=None, type=int, help="Random seed (default: derived from the period).")
@click.option("--rows", default=None, type=int, help="Hotline tickets to write (benchmarks).")
def samples(period: str, out: Path, seed: int | None, rows: int | None) -> None:
    """Write a realistic, messy month of department files, as departments send them."""
    from cityops.periods import parse_period
    from cityops_dev.samples import write_month

    for path in write_month(parse_period(period), out, seed=seed, hotline_rows=rows):
        click.echo(str(path))
