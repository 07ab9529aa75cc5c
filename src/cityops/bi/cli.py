"""`cityops bi ...`: the district's dashboards in Superset. Registered on the main group in one line."""

from __future__ import annotations

from pathlib import Path

import click

from cityops.settings import Home

EXIT_FAILED = 3


class _Failed(click.ClickException):
    exit_code = EXIT_FAILED

    def show(self, file=None) -> None:  # the CLI's one-line style, not click's "Error:"
        click.echo(f"cityops: {self.message}", err=True)


def _guard(func):
    """Known failures (Superset, the warehouse) as one line and exit code 3."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from cityops.bi.superset import SupersetFailed
        from cityops.load.warehouse import WarehouseUnavailable

        try:
            return func(*args, **kwargs)
        except (SupersetFailed, WarehouseUnavailable) as exc:
            raise _Failed(str(exc)) from exc

    return wrapper


@click.group("bi")
def bi() -> None:
    """The district's dashboards in Apache Superset (assets in bi/superset/assets)."""


@bi.command("up")
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 (default 8088, or a free one).")
@_guard
def bi_up(port: int | None) -> None:
    """Install Superset's locked environment, import the dashboards, start it; print the URL and login."""
    from cityops.bi import superset

    home = Home.from_env().ensure()
    click.echo("Superset: installing its locked environment (bi/superset/uv.lock) if needed ...")
    superset.install()
    click.echo("Superset: warehouse login, metadata and dashboards ...")
    superset.prepare(home)
    url = superset.start(home, port)
    click.echo(f"\nSuperset is running: {url}/superset/dashboard/cityops-overview/  (城运总览)")
    click.echo(f"  login: {superset.ADMIN} / {superset.admin_password(home)}")
    click.echo("  stop it with: .venv/bin/cityops bi down")


@bi.command("down")
@_guard
def bi_down() -> None:
    """Stop the Superset server `bi up` started."""
    from cityops.bi import superset

    click.echo("stopped" if superset.stop(Home.from_env()) else "not running")


@bi.command("status")
@_guard
def bi_status() -> None:
    """Say whether Superset runs, and where."""
    from cityops.bi import superset

    info = superset.running(Home.from_env())
    click.echo(f"running: {info['url']} (pid {info['pid']})" if info else "not running")


@bi.command("import")
@_guard
def bi_import() -> None:
    """Import bi/superset/assets again (after editing the YAML); overwrites by UUID."""
    from cityops.bi import superset

    click.echo(superset.run_bi(Home.from_env().ensure(), "import").strip())


@bi.command("export")
@_guard
def bi_export() -> None:
    """Write the dashboards as edited in the UI back to bi/superset/assets, for review in git."""
    from cityops.bi import superset

    click.echo(superset.run_bi(Home.from_env().ensure(), "export").strip())


@bi.command("check")
@_guard
def bi_check() -> None:
    """Check that every column a chart uses exists in the dbt marts (names the broken charts)."""
    from cityops.bi import superset
    from cityops.settings import dbt_project_dir

    problems = superset.check(dbt_project_dir())
    for problem in problems:
        click.echo(problem)
    if problems:
        raise _Failed(f"{len(problems)} problem(s): the dashboards do not match the dbt marts")
    click.echo("every dashboard matches the dbt marts")


@bi.command("screenshots")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("docs"),
    show_default=True,
    help="Folder the PNG screenshots are written to.",
)
@_guard
def bi_screenshots(out: Path) -> None:
    """PNG of every dashboard (headless Chromium) from the running Superset."""
    from cityops.bi import superset

    home = Home.from_env()
    info = superset.running(home)
    if not info:
        raise _Failed("Superset is not running: start it with `cityops bi up`")
    click.echo(superset.run_bi(home, "browse", "--url", str(info["url"]), "--screenshots", str(out.resolve())))
