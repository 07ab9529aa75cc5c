"""The subject database, rebuilt whenever a raw table gets a new batch.

Scheduled on the raw Assets that the ingest DAGs update (any of them starts a run). Its one
task is the build `cityops build` runs (cityops.transform.dbt): under the warehouse's build
lock and in the pool `cityops_dbt` (one build at a time, shared with the month close), it
builds what changed since the last good build into `marts__next` and publishes the marts in
one swap only when every error-severity test passed. A failed test fails the run, names the
test, alerts, and leaves BI reading the previous marts.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetAny, dag

from cityops.contracts import dataset_ids
from cityops.orchestrate.alerts import on_failure
from cityops.orchestrate.dbt_tasks import dbt_build_task
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
    dbt_build_task()


cityops_transform()
