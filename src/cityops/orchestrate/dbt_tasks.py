"""The dbt project as Airflow tasks (astronomer-cosmos), rendered from the build-time manifest.

Cosmos' watcher mode runs ONE `dbt build` (in-process, dbtRunner) and gives every model,
seed and its tests a task that reports that node's result: an engineer sees and retries
each model in the UI, and the month pays dbt's start-up once, not once per model.

No dbt here at import time and no `dbt ls` at parse time: the manifest is read from disk
(cityops.orchestrate.manifest). Without one, the group is a single task that says so.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from cityops.orchestrate.manifest import manifest_path
from cityops.settings import dbt_project_dir

log = logging.getLogger("cityops.transform")
GROUP_ID = "dbt"


def prepare_dbt(context: Any = None) -> None:
    """Before dbt runs in this worker: every source table exists, the profile has the warehouse.

    The profile (dbt_project/profiles.yml) reads CITYOPS_DB_*; they are filled here, at run
    time, from the warehouse URL (CITYOPS_WAREHOUSE_URL or the embedded server), so no
    address or password is ever written into a DAG, a connection or a file.
    """
    from cityops.settings import Home
    from cityops.transform.dbt import prepare

    prepare(Home.from_env())


def _sensor_args() -> dict[str, Any]:
    """How the per-model tasks wait for the one dbt build.

    With a triggerer (the production stack) they defer and cost no worker slot. The
    embedded `airflow dags test` runs tasks one after another in one process and has no
    triggerer, so there they poke; airflow_run sets CITYOPS_AIRFLOW_EMBEDDED.
    """
    if os.environ.get("CITYOPS_AIRFLOW_EMBEDDED"):
        return {"deferrable": False, "mode": "reschedule", "poke_interval": 2}
    return {"deferrable": True, "poke_interval": 5}


def dbt_task_group(group_id: str = GROUP_ID, **group_args: Any):
    """A TaskGroup of the whole dbt project, or one task that says how to make the manifest."""
    manifest = manifest_path()
    if not manifest.is_file():
        return missing_manifest_task(str(manifest))

    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import DbtResourceType, ExecutionMode, InvocationMode, LoadMode

    project = dbt_project_dir()
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project, manifest_path=manifest, project_name="cityops", install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="cityops", target_name="warehouse", profiles_yml_filepath=project / "profiles.yml"
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
            setup_operator_args={
                "on_execute_callback": prepare_dbt,
                "retries": 1,
                "retry_delay": timedelta(seconds=20),
            },
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            emit_datasets=False,
            # Hooks and exposures run (or are documented) inside the one build: no tasks of their own.
            node_converters={DbtResourceType("operation"): _no_task, DbtResourceType.EXPOSURE: _no_task},
        ),
        operator_args={"install_deps": False, **_sensor_args()},
        **group_args,
    )


def _no_task(*_args: Any, **_kwargs: Any) -> None:
    return None


def missing_manifest_task(path: str):
    from airflow.sdk import task

    @task(task_id="dbt_manifest_missing", retries=0)
    def dbt_manifest_missing() -> None:
        """Fails with the one command that fixes it: this DAG was parsed before the manifest existed."""
        raise RuntimeError(
            f"No dbt manifest at {path}, so the dbt models could not be rendered as tasks. "
            "Run `cityops build --manifest-only` (or `make install`), then re-parse the DAGs."
        )

    return dbt_manifest_missing()
