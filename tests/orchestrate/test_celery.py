"""The Celery path: a real Celery worker on this machine's Redis executes the ingest task.

The worker runs the very callable the DAG's ingest task runs
(cityops.orchestrate.tasks.ingest_file), as the production stack's Celery workers do,
against a fresh database on the machine's PostgreSQL (127.0.0.1:5432) as the warehouse.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from celery import Celery

from tests.fixtures.commands import ROOT
from tests.fixtures.garbage import table, write

BROKER = os.environ.get("CITYOPS_TEST_REDIS", "redis://127.0.0.1:6379/0")
app = Celery("cityops_test", broker=BROKER, backend=BROKER)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])


@app.task(name="cityops.ingest_file")
def ingest_file(item: dict) -> dict:
    from cityops.orchestrate.tasks import ingest_file as ingest

    return ingest(item)


@pytest.mark.slow
def test_a_celery_worker_runs_the_ingest_task_against_redis_and_postgres(tmp_path, local_postgres):
    try:
        app.connection_for_write().ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"Redis on 127.0.0.1:6379 is required for the Celery test: {exc}")
    home = tmp_path / "home"
    landing = home / "landing" / "garbage_sorting"
    landing.mkdir(parents=True)
    write(landing / "2025-03.xlsx", table())
    queue = f"cityops-test-{uuid.uuid4().hex[:8]}"  # this run's own queue: other runs share the Redis
    env = {
        **os.environ,
        "CITYOPS_HOME": str(home),
        "CITYOPS_WAREHOUSE_URL": local_postgres,
        "CITYOPS_PII_KEY": "test-key-not-a-secret",
        "PYTHONPATH": str(ROOT),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.orchestrate.test_celery", "worker", "--pool", "solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        item = {"dataset": "garbage_sorting", "path": str(landing / "2025-03.xlsx"), "period": "2025-03"}
        outcome = ingest_file.apply_async(args=[item], queue=queue).get(timeout=240)
    finally:
        worker.terminate()
        log, _ = worker.communicate(timeout=60)
    assert outcome["status"] == "loaded" and outcome["rows"] == 10, log[-3000:]
    with psycopg.connect(local_postgres) as conn:
        assert conn.execute("select count(*) from raw.garbage_sorting").fetchone()[0] == 10
        assert conn.execute("select status from audit.ingest_batches").fetchall() == [("current",)]
