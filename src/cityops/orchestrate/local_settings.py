"""The embedded Airflow's airflow_local_settings: what every `airflow` command of `cityops run --airflow` loads.

Three settings, all for the one-machine default only (the production stack has its own):
- the SQLite metadata in WAL mode (cityops.orchestrate.sqlite_metadata);
- an in-process execution API of one version, the task SDK's (cityops.orchestrate.head_version_only);
- no collections at exit: `airflow dags test` runs its task in-process, so when it ends the
  heap holds Airflow, its execution API (FastAPI) and dbt's manifest, and the interpreter's
  final collections walked all of it for ~2 s after the run had finished. Freezing the heap
  at exit skips that walk; the process's memory goes back to the OS as it exits anyway.
"""

from __future__ import annotations

import atexit
import gc

LOCAL_SETTINGS = '''"""Written by cityops (cityops.orchestrate.local_settings): do not edit."""

from cityops.orchestrate.head_version_only import serve_only_the_task_sdk_version
from cityops.orchestrate.local_settings import skip_collections_at_exit
from cityops.orchestrate.sqlite_metadata import create_metadata_engine  # noqa: F401

serve_only_the_task_sdk_version()
skip_collections_at_exit()
'''


def skip_collections_at_exit() -> None:
    """Freeze the heap once the exit handlers registered after this one have run (logging's flush runs after)."""
    atexit.register(gc.freeze)
