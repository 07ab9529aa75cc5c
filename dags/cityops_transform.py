"""The subject database, rebuilt whenever a raw table gets a new batch.

Scheduled on the raw Assets that the ingest DAGs update (any of them starts a run), it
renders dbt_project/ with astronomer-cosmos from the build-time manifest: one task per
model and seed with its tests, all fed by ONE in-process `dbt build` (watcher mode).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetAny, dag, task

from cityops.contracts import dataset_ids
from cityops.orchestrate.alerts import on_failure
from cityops.orchestrate.dbt_tasks import dbt_task_group
from cityops.orchestrate.naming import TRANSFORM_DAG_ID, raw_asset


@dag(
    dag_id=TRANSFORM_DAG_ID,
    schedule=AssetAny(*(raw_asset(dataset) for dataset in dataset_ids())),
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"on_failure_callback": on_failure},
    tags=["cityops", "transform"],
    doc_md=__doc__,
)
def cityops_transform():
    @task
    def report_marts() -> dict:
        from cityops.orchestrate.tasks import mart_counts

        return mart_counts()

    dbt_task_group() >> report_marts()


cityops_transform()
