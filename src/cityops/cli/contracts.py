"""`cityops contracts …` and `cityops templates`: the contracts, and what is generated from them."""

from __future__ import annotations

from pathlib import Path

import click

from cityops.cli.exits import EXIT_REJECTED, fail


@click.group()
def contracts() -> None:
    """The dataset contracts (expectations/*.yml, or CITYOPS_CONTRACTS_DIR) and what is generated from them."""


@contracts.command("list")
def contracts_list() -> None:
    """List every dataset with its department and grain."""
    from cityops.contracts import all_contracts

    for contract in all_contracts().values():
        click.echo(f"{contract.dataset:<24} {contract.department:<8} {contract.title_zh} — {contract.grain}")


@contracts.command("sources")
@click.option("--write", is_flag=True, help="Rewrite the generated dbt files (models/staging/raw/, the vocabulary).")
def contracts_sources(write: bool) -> None:
    """Check (or --write) the dbt sources, staging models and vocabulary generated from the contracts."""
    from cityops.transform.sources import stale_files, write_sources

    if write:
        click.echo(f"wrote {write_sources()}")
    elif stale := stale_files():
        listed = "\n  ".join(stale)
        fail(
            f"generated dbt files are stale:\n  {listed}\n"
            "run `cityops contracts sources --write` and commit the result",
            EXIT_REJECTED,
        )
    else:
        click.echo("dbt sources match the contracts")


@contracts.command("suites")
@click.option("--write", is_flag=True, help="Rewrite expectations/suites/<dataset>.json from the contracts.")
def contracts_suites(write: bool) -> None:
    """Check (or --write) the readable GX suites rendered from the contracts, for reviewers."""
    from cityops.validate.suite_docs import stale_suites, write_suites

    if write:
        for path in write_suites():
            click.echo(f"wrote {path}")
    elif stale := stale_suites():
        names = ", ".join(p.name for p in stale)
        fail(f"suites are stale ({names}): run `cityops contracts suites --write` and commit the result", EXIT_REJECTED)
    else:
        click.echo("suites match the contracts")


@click.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to write into.")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets (repeatable); default all.")
def templates(out: Path, datasets: tuple[str, ...]) -> None:
    """Write the blank report template (填报模板) of each dataset, generated from its contract."""
    from cityops.report.forms import write_templates

    for path in write_templates(out, list(datasets) or None):
        click.echo(str(path))
