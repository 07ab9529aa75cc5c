"""The month close: ingest what waits, check the submission calendar, build the marts, report.

Runs on the 1st for the month before; `period` (and `through`, for a range) re-run any
month from the UI or from `cityops run --period P [--to Q] --airflow`. Every step is
idempotent: a file already loaded is `unchanged`, and the marts are rebuilt from the
current batches. Wiring only: each task calls cityops.orchestrate.tasks.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from cityops.orchestrate.alerts import on_failure
from cityops.orchestrate.dbt_tasks import dbt_build_task
from cityops.orchestrate.naming import MONTH_CLOSE_DAG_ID

MONTH = r"^\d{4}-\d{2}$"


@dag(
    dag_id=MONTH_CLOSE_DAG_ID,
    schedule="@monthly",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"on_failure_callback": on_failure, "retries": 0},
    params={
        "period": Param(None, type=["null", "string"], pattern=MONTH, description="Month YYYY-MM; empty: last month"),
        "through": Param(None, type=["null", "string"], pattern=MONTH, description="Last month of a range to re-run"),
    },
    tags=["cityops", "monthly"],
    doc_md=__doc__,
)
def cityops_month_close():
    @task
    def months() -> list[str]:
        from cityops.orchestrate.tasks import months

        context = get_current_context()
        params = context["params"]
        return months(params.get("period"), params.get("through"), context.get("logical_date"))

    @task
    def find_landed_files(periods: list[str]) -> list[dict]:
        from cityops.orchestrate.tasks import files_waiting

        return files_waiting(periods)

    @task(retries=2, retry_delay=pendulum.duration(seconds=30))  # warehouse trouble; a rejection does not raise
    def ingest(item: dict) -> list[dict]:
        from cityops.orchestrate.tasks import ingest_files

        return ingest_files(item)

    @task(trigger_rule="none_failed")  # a month with nothing waiting still builds and reports
    def loads_done(outcomes: list[list[dict]] | None) -> list[dict]:
        return [outcome for per_dataset in outcomes or [] for outcome in per_dataset]

    @task
    def check_calendar(periods: list[str], outcomes: list[dict]) -> list[dict]:
        from cityops.orchestrate.tasks import check_calendar

        return check_calendar(periods)  # after the loads: what the month's files became

    @task
    def report(periods: list[str], outcomes: list[dict], submissions: list[dict], built: dict) -> list[dict]:
        from cityops.orchestrate.tasks import write_month_summaries

        return write_month_summaries(periods, outcomes, submissions, built)

    periods = months()
    landed = find_landed_files(periods)
    outcomes = loads_done(ingest.expand(item=landed))
    submissions = check_calendar(periods, outcomes)
    # The same build as `cityops build` (pool cityops_dbt, one at a time): what changed since
    # the last good build, published only when every test passed; nothing changed, no dbt.
    built = dbt_build_task()
    outcomes >> built
    report(periods, outcomes, submissions, built)


cityops_month_close()
