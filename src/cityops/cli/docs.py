"""`cityops docs` (the dbt docs of the marts) and `cityops quality docs` (GX Data Docs of a month)."""

from __future__ import annotations

import click

from cityops.cli.exits import EXIT_REJECTED, fail


@click.command()
@click.option("--no-serve", "no_serve", is_flag=True, help="Only generate the site, do not serve it.")
@click.option("--port", default=8080, show_default=True, help="Port to serve the docs on.")
def docs(no_serve: bool, port: int) -> None:
    """Build the dbt docs (models, columns, lineage, exposures) and serve them on localhost."""
    import contextlib
    import functools
    import http.server
    import shutil

    from dbt.cli.main import dbtRunner

    from cityops.settings import Home
    from cityops.transform.dbt import dbt_args, prepare

    home = Home.from_env().ensure()
    prepare(home)
    outcome = dbtRunner().invoke(["docs", *dbt_args(home, "generate", "--quiet")])
    if not outcome.success:
        fail(
            f"dbt docs generate failed: {outcome.exception or 'see the logs'} (logs: {home.logs / 'dbt'})",
            EXIT_REJECTED,
        )
    site = home.root / "docs"
    site.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "manifest.json", "catalog.json"):
        shutil.copy2(home.dbt_target / name, site / name)
    click.echo(f"docs written to {site}")
    if no_serve:
        return
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


@click.group()
def quality() -> None:
    """Data quality beyond the gate: GX Data Docs for reviewers."""


@quality.command("docs")
@click.option("--period", required=True, help="Reporting month, YYYY-MM: its current batches are validated.")
def quality_docs(period: str) -> None:
    """Build GX Data Docs of a month's current batches under CITYOPS_HOME/gx."""
    from cityops.periods import parse_period
    from cityops.validate.data_docs import build_data_docs

    click.echo(str(build_data_docs(parse_period(period))))
