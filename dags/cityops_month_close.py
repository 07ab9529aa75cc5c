"""The month close: ingest every extract waiting in landing/, build the marts, report.

Wiring only: each task calls the cityops package (the same code as the CLI), and tasks
pass file paths and small summaries, never data. Heavy imports stay inside the tasks.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task


def _period() -> str:
    """The month to close: the `period` param, else the month before the run's date."""
    context = get_current_context()
    period = context["params"].get("period")
    if period:
        return period
    return context["logical_date"].subtract(months=1).strftime("%Y-%m")


@dag(
    dag_id="cityops_month_close",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="Reporting month YYYY-MM; empty: the previous month",
        )
    },
    tags=["cityops", "monthly"],
    doc_md=__doc__,
)
def cityops_month_close():
    @task
    def find_landed_files() -> list[dict]:
        from cityops.monthly import landed_files

        period = _period()
        return [{"dataset": d, "path": str(p), "period": period} for d, p in landed_files(period)]

    @task(retries=0)  # a rejected file is not retried: the department must correct it
    def ingest(item: dict) -> dict:
        from cityops.monthly import ingest_one

        outcome = ingest_one(item["dataset"], item["path"], item["period"])
        return {k: outcome[k] for k in ("dataset", "status", "rows", "batch_id", "file", "errors")}

    @task(retries=2)  # dbt retried: a lock or a restarting warehouse can pass on a second try
    def build_marts() -> dict:
        from cityops.monthly import build_marts as build

        return build()

    @task
    def report(outcomes: list[dict], built: dict) -> dict:
        from cityops.monthly import write_summary

        return write_summary(_period(), list(outcomes), built)

    outcomes = ingest.expand(item=find_landed_files())
    built = build_marts()
    outcomes >> built
    report(outcomes, built)


cityops_month_close()
