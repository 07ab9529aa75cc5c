"""The dbt build as an Airflow task: the very build `cityops build` runs, in a pool of one.

Both DAGs that build the marts (cityops_month_close, cityops_transform) and a backfill
(a run of the close over a range) call cityops.transform.dbt.build: under the warehouse's
build lock it decides from the state before dbt starts what changed, builds that and its
tests into `marts__next`, and publishes in one swap only when every error-severity test
passed. The task runs in the Airflow pool `cityops_dbt` of size 1, so a second build
queues in the scheduler instead of waiting on the lock in a worker slot.

One task, not a task per model: measured on the month close, Cosmos' watcher mode (a
task per model and seed fed by one `dbt build`) took 5.3× a plain `dbt build`, most of
it Airflow's cost per task; the per-node results are in this task's log instead
(`dbt model fct_…: success (1.2 s)`, then the failures by name).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cityops.orchestrate.naming import DBT_POOL

TASK_ID = "dbt_build"


def dbt_build_task(**task_args: Any):
    """The `dbt_build` task. Its result: {"build": summary, "marts": rows per mart}."""
    from airflow.sdk import task

    args = {"retries": 1, "retry_delay": timedelta(seconds=30), **task_args}

    @task(task_id=TASK_ID, pool=DBT_POOL, **args)
    def dbt_build() -> dict[str, Any]:
        """dbt build of what changed, published only when every test passed (cityops.transform.dbt)."""
        from cityops.orchestrate.tasks import build_marts

        return build_marts()

    return dbt_build()
