"""The Celery settings of the stack's workers: Airflow's own, plus what each task would import anyway.

Airflow's Celery worker forks a process per task from its pool, and each ingest task would
otherwise import Great Expectations (8-14 s of CPU, ~270 MiB) again and again. Celery imports
`imports` once in the worker's main process, before the pool forks, so every task starts with
them loaded (copy-on-write: shared, not copied). The scheduler reads the same settings to send
tasks, but never imports `imports`.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG, "imports": ("cityops.orchestrate.worker_preload",)}
