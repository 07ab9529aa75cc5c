"""One ingest DAG per dataset contract (expectations/*.yml): a new contract, a new DAG.

Each waits for a file in landing/<dataset>/ (a deferrable FileSensor: the triggerer
watches, no worker slot is held), checks and loads every file there through the same
code as `cityops ingest`, and each load updates the Asset of raw.<dataset>, which
starts the transform DAG. A rejected file fails its task at once (retrying cannot fix
it); warehouse trouble is retried. `@continuous`: the next wait starts when a run ends.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.sensors.filesystem import FileSensor
from airflow.sdk import dag, task

from cityops.contracts import dataset_ids
from cityops.orchestrate.alerts import on_failure
from cityops.orchestrate.naming import LANDING_CONN_ID, ingest_dag_id, landing_pattern, raw_asset


def ingest_dag(dataset: str) -> None:
    @dag(
        dag_id=ingest_dag_id(dataset),
        schedule="@continuous",
        start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        default_args={"on_failure_callback": on_failure},
        tags=["cityops", "ingest", dataset],
        doc_md=__doc__,
    )
    def ingest_dataset():
        wait = FileSensor(
            task_id="wait_for_file",
            fs_conn_id=LANDING_CONN_ID,
            filepath=landing_pattern(dataset),
            deferrable=True,
            poke_interval=30,
            timeout=6 * 3600,
            soft_fail=True,  # a quiet six hours is not a failure: the next run waits again
        )

        @task
        def list_files() -> list[dict]:
            from cityops.orchestrate.tasks import files_of_dataset

            return files_of_dataset(dataset)

        @task(outlets=[raw_asset(dataset)], retries=3, retry_delay=pendulum.duration(minutes=1))
        def ingest(item: dict) -> dict:
            from cityops.orchestrate.tasks import ingest_file

            return ingest_file(item, strict=True)

        files = list_files()
        wait >> files
        ingest.expand(item=files)

    ingest_dataset()


for dataset_id in dataset_ids():
    ingest_dag(dataset_id)
