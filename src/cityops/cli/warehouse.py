"""`cityops warehouse …`: the embedded PostgreSQL (or the external one), its backups and grants."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def warehouse() -> None:
    """Manage the embedded PostgreSQL warehouse (or show the external one)."""


@warehouse.command("start")
def warehouse_start() -> None:
    """Start the embedded warehouse (data under CITYOPS_HOME/warehouse)."""
    from cityops.load import warehouse as wh

    click.echo(wh.redact(wh.start()))


@warehouse.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded warehouse, and the warm build server of this CITYOPS_HOME."""
    from cityops.cli import build_handover
    from cityops.load import warehouse as wh
    from cityops.settings import Home

    if build_handover.stop(Home.from_env()):
        click.echo("build server stopped")
    click.echo("stopped" if wh.stop() else "not running (or external: nothing to stop)")


@warehouse.command("status")
def warehouse_status() -> None:
    """Say whether the warehouse runs, and where."""
    from cityops.load import warehouse as wh

    click.echo(json.dumps(wh.status(), ensure_ascii=False))


@warehouse.command("url")
def warehouse_url() -> None:
    """Print the warehouse's SQLAlchemy URL (starting the embedded one if needed)."""
    from cityops.load import warehouse as wh

    click.echo(wh.url())


@warehouse.command("backup")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (pg_dump custom format). Default: CITYOPS_HOME/backups/cityops-<time>.dump.",
)
def warehouse_backup(out: Path | None) -> None:
    """Back up the whole warehouse (raw, audit, marts…) with pg_dump; print the file written.

    The file appears only once the dump is complete, readable by the service user only.
    """
    from cityops.load.backup import backup

    click.echo(str(backup(out)))


@warehouse.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def warehouse_restore(file: Path) -> None:
    """Replace the warehouse's contents with the backup FILE (made by `warehouse backup`).

    Runs in one transaction: if anything fails, the warehouse is left as it was.
    """
    from cityops.load.backup import restore

    schemas = restore(file)
    click.echo(f"restored {', '.join(schemas)} from {file}")


@warehouse.command("grants")
@click.option("--json", "as_json", is_flag=True, help="Print the roles and each dataset's department role as JSON.")
def warehouse_grants(as_json: bool) -> None:
    """Create the roles and apply least-privilege grants and row-level security.

    cityops_loader / cityops_transformer / cityops_reporting, and one role per department
    (cityops_dept_<code>), whose members see only their own datasets' raw and audit rows.
    Idempotent: run it after adding a dataset or a department.
    """
    from cityops.load.access import apply_grants
    from cityops.load.warehouse import connect

    with connect() as conn:
        applied = apply_grants(conn)
    if as_json:
        click.echo(json.dumps(applied, ensure_ascii=False))
    else:
        for dataset, role in applied["datasets"].items():
            click.echo(f"{dataset:<24} {role or '(no department role: services only)'}")
