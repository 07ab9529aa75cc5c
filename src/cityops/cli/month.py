"""The month: `cityops build`, `run`, `backfill` and `status` (the submission calendar)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from cityops.cli.exits import EXIT_FAILED


@click.command()
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
def build(full_refresh: bool) -> None:
    """Build the subject database (dbt: staging -> marts, with tests)."""
    from cityops.transform.dbt import build as dbt_build

    result = dbt_build(full_refresh=full_refresh)
    click.echo(result.summary())


@click.command()
@click.option("--period", required=True, help="Reporting month, YYYY-MM.")
@click.option("--to", "through", default=None, help="Last month of a range to close or re-run, YYYY-MM.")
@click.option("--airflow", "via_airflow", is_flag=True, help="Run it as the Airflow DAG (dag.test).")
@click.option("--json", "as_json", is_flag=True, help="Print the month's summary as JSON (a list for a range).")
def run(period: str, through: str | None, via_airflow: bool, as_json: bool) -> None:
    """The month close: ingest what waits in landing/, build the marts, report."""
    _close_months(period, through, via_airflow, as_json)


@click.command()
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


def _close_months(period: str, through: str | None, via_airflow: bool, as_json: bool) -> None:
    from cityops.orchestrate.airflow_run import run_months
    from cityops.orchestrate.tasks import close_months, months
    from cityops.report.console import print_month

    summaries = run_months(period, through) if via_airflow else close_months(months(period, through, None))
    if as_json:
        payload = summaries[0] if through is None else summaries
        click.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        for summary in summaries:
            print_month(summary)
    sys.exit(0 if all(s["ok"] for s in summaries) else EXIT_FAILED)


@click.command()
@click.option("--period", required=True, help="Reporting month, YYYY-MM: files for it are due by the 10th of the next.")
@click.option("--as-of", "as_of", default=None, help="Judge lateness as of this day, YYYY-MM-DD (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per dataset.")
def status(period: str, as_of: str | None, as_json: bool) -> None:
    """Per department and dataset: loaded, late, missing, rejected, and the latest outcome."""
    from cityops.errors import UsageError
    from cityops.load.warehouse import connect
    from cityops.periods import end_of_day, parse_period
    from cityops.report.calendar import month_calendar
    from cityops.report.console import print_calendar, print_stale_sources
    from cityops.transform.source_freshness import check as check_freshness

    month = parse_period(period)
    now = None
    if as_of:
        try:
            now = end_of_day(dt.date.fromisoformat(as_of))
        except ValueError:
            raise UsageError(f"--as-of must be a day as YYYY-MM-DD, not '{as_of}'") from None
    with connect() as conn:
        rows = month_calendar(conn, month, now)
        freshness = {f.dataset: f.to_json() for f in check_freshness(conn, now)}
    if as_json:
        click.echo(
            json.dumps([{**r.to_json(), "freshness": freshness.get(r.dataset)} for r in rows], ensure_ascii=False)
        )
    else:
        print_calendar(period, rows)
        print_stale_sources([f for f in freshness.values() if f["stale"]])
