"""Imported once by each Celery worker before its pool forks (see cityops.orchestrate.celery_config)."""

from __future__ import annotations

import great_expectations  # the gate of every ingest task
import great_expectations.expectations  # noqa: F401

import cityops.ingest
import cityops.orchestrate.dbt_tasks
import cityops.orchestrate.tasks
import cityops.validate.gate  # noqa: F401
