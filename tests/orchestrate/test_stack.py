"""The production stack, started with `cityops stack` and driven through Airflow's REST API.

Airflow 3's api-server, scheduler, dag-processor, triggerer and a Celery worker, as
docker-compose.yml runs them: the CeleryExecutor on this machine's Redis (a queue of this
run's own), Airflow's metadata in a database of its own on this machine's PostgreSQL
(127.0.0.1:5432), the warehouse in another. The test only drops files into landing/ and
watches /api/v2, as an engineer would; it asserts on the runs, the warehouse and the files.
On failure it prints every task instance and the tail of each service's log.

Select it with `pytest -m stack`.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis

from cityops.contracts import dataset_ids
from cityops.orchestrate.asset_events import AirflowApi
from cityops.orchestrate.naming import TRANSFORM_DAG_ID, ingest_dag_id, raw_asset_uri
from cityops.orchestrate.stack import Api, Settings, Stack, drop_metadata_database, tail
from cityops.orchestrate.stack_config import ADMIN, DEFAULTS, SERVICES, WORKER
from cityops.settings import Home
from tests.fixtures.commands import FAULT_INJECTION, ROOT
from tests.fixtures.garbage import garbage_rows, table, write
from tests.fixtures.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.stack]

MONTH = "2025-01"
REDIS_DB = int(os.environ.get("CITYOPS_TEST_STACK_REDIS_DB", "13"))  # the stack helper's own DB number
WAIT = float(os.environ.get("CITYOPS_TEST_STACK_WAIT", "2400"))  # seconds any one step may take
INGEST_DAGS = [ingest_dag_id(dataset) for dataset in dataset_ids()]


def _free_base_port() -> int:
    """Four consecutive free ports in 28000-28999 (the range this project's stack tests use)."""
    for _ in range(200):
        base = random.randrange(28000, 28996, 4)
        try:
            for port in range(base, base + 4):
                with socket.socket() as probe:
                    probe.bind(("0.0.0.0", port))
        except OSError:
            continue
        return base
    raise AssertionError("no four free ports in 28000-28999")


def _wait(what: str, check, timeout: float = WAIT, every: float = 3):
    """Poll `check` until it returns something truthy; fail naming `what`."""
    return wait_for(what, check, timeout, every)


class Driver:
    """The engineer's view: Airflow's REST API with a token, and the warehouse."""

    def __init__(self, stack: Stack, warehouse_url: str) -> None:
        self.stack, self.warehouse_url = stack, warehouse_url
        self.api = Api(stack).login()

    def get(self, path: str):
        try:
            return self.api.get(path)
        except OSError as exc:
            if getattr(exc, "code", None) == 401:  # the token expired: log in again
                return self.api.login().get(path)
            raise

    def runs(self, dag_id: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns?order_by=id&limit=100")["dag_runs"]

    def finished(self, dag_id: str) -> list[dict]:
        return [run for run in self.runs(dag_id) if run["state"] in ("success", "failed")]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        found: list[dict] = []
        while True:  # pages of 100, the API's largest
            page = self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100&offset={len(found)}")
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found

    def unpause(self, *dag_ids: str, paused: bool = False) -> None:
        for dag_id in dag_ids:
            self.api._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": paused})

    def sql(self, query: str, *args) -> list[tuple]:
        with psycopg.connect(self.warehouse_url) as conn:
            return conn.execute(query, args).fetchall()

    def batches(self, *statuses: str) -> list[tuple]:
        """(dataset, month, batch id, status) of the batches that were loaded (or in `statuses`)."""
        return self.sql(
            "select dataset, to_char(period, 'YYYY-MM'), batch_id::text, status from audit.ingest_batches "
            "where status = any(%s) order by 1, 2, 3",
            list(statuses or ("current", "superseded")),
        )

    def diagnose(self) -> str:
        """Every task instance of every run, then the tail of each service's log."""
        lines = []
        try:
            for dag_id in [*INGEST_DAGS, TRANSFORM_DAG_ID]:
                for run in self.runs(dag_id):
                    lines.append(f"{dag_id} {run['dag_run_id']} {run['state']}")
                    for ti in self.task_instances(dag_id, run["dag_run_id"]):
                        if ti["state"] != "success":
                            lines.append(f"    {ti['task_id']}[{ti['map_index']}] {ti['state']} try {ti['try_number']}")
        except Exception as exc:  # the API itself may be what failed
            lines.append(f"(task instances unavailable: {exc})")
        for service in [*SERVICES, "airflow-init"]:
            lines.append(f"--- {service} ({self.stack.log_file(service)})\n{tail(self.stack.log_file(service), 40)}")
        return "\n".join(lines)


def _drop(source: Path, landing: Path) -> None:
    """Files arrive whole (written aside, then renamed), as the upload share places them."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = landing / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            aside = target.with_name(f".{target.name}.part")
            shutil.copyfile(path, aside)
            aside.rename(target)


@pytest.fixture
def stack(tmp_path, local_postgres):
    home = Home(tmp_path / "home").ensure()
    running = Stack(home)
    metadata = f"postgresql://postgres@127.0.0.1:5432/stack_e2e_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        metadata_url=metadata,
        broker_url=f"redis://127.0.0.1:6379/{REDIS_DB}",
        port=_free_base_port(),
        warehouse_url=local_postgres,
        tunables={
            **DEFAULTS,
            # the test unpauses what it drives: the month close stays out of the way
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "true",
            # this run's own Celery queue: other runs may share the Redis database
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"stack-test-{uuid.uuid4().hex[:8]}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "8",
            # a worker lost mid-task is noticed within seconds, and retried at once
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "2",
        },
    )
    try:
        running.up(settings, timeout=WAIT)
        yield running, settings
    finally:
        try:
            running.down(timeout=20)
        finally:
            drop_metadata_database(metadata)
            redis.Redis.from_url(settings.broker_url).flushdb()  # this helper's own database number
    # 7. Nothing of the stack is left running.
    assert running.processes() == [], f"stray processes after `down`: {running.processes()}"


def test_the_stack_loads_a_month_end_to_end_through_celery(stack, tmp_path):
    running, settings = stack
    driver = Driver(running, settings.warehouse_url)
    started = time.monotonic()
    try:
        _end_to_end(driver, running)
    except BaseException:
        print(f"\n=== the stack test failed after {time.monotonic() - started:.0f}s ===\n{driver.diagnose()}")
        raise
    print(f"\nthe stack test's steps took {time.monotonic() - started:.0f}s after `stack up`")


def _end_to_end(driver: Driver, running: Stack) -> None:
    landing = running.home.landing
    sample = ROOT / "extract" / "samples" / MONTH
    driver.unpause(*INGEST_DAGS)

    # 1-2. A sample month lands; every ingest DAG loads its file, a raw Asset starts the transform.
    #    The last file lands once the others are in and the transform is unpaused, so that one
    #    Asset-triggered run builds the whole month (each build costs minutes on a busy machine).
    last = "garbage_sorting"
    for folder in sorted(sample.iterdir()):
        if folder.name != last:
            _drop(folder, landing / folder.name)
    first = [d for d in INGEST_DAGS if d != ingest_dag_id(last)]

    def loaded(dags):
        return all(any(r["state"] == "success" for r in driver.finished(d)) for d in dags) and dags

    _wait("every ingest DAG to load the month", lambda: loaded(first))
    driver.unpause(TRANSFORM_DAG_ID)
    _drop(sample / last, landing / last)
    _wait("the last file to load", lambda: loaded([ingest_dag_id(last)]))

    def transform_done():  # the run the last load's Asset event queued (while the transform was paused: none)
        runs = driver.runs(TRANSFORM_DAG_ID)
        if not runs or any(r["state"] in ("queued", "running") for r in runs):
            return None
        assert all(r["run_type"] == "asset_triggered" for r in runs), runs
        assert all(r["state"] == "success" for r in runs), [(r["dag_run_id"], r["state"]) for r in runs]
        return runs

    built = _wait("the Asset-triggered transform to build the loaded month", transform_done)
    assert len(built) == 1, built  # the last load's Asset event, and nothing else, started it

    # 3a. A load outside Airflow (the portal's) announces raw.<dataset> through the REST API, as
    #     the portal does with CITYOPS_AIRFLOW_API_URL: the transform runs again (nothing changed:
    #     the build is a no-op), Asset-triggered.
    before = len(driver.runs(TRANSFORM_DAG_ID))
    api = AirflowApi(running.settings().api_url, ADMIN, passwords_file=running.passwords_file)
    event = api.announce_raw("garbage_sorting", via="portal", upload_id="stack-test")
    assert event["uri"] == raw_asset_uri("garbage_sorting") and event["extra"]["via"] == "portal", event
    _wait(
        "the transform that the Asset event starts",
        lambda: len(driver.runs(TRANSFORM_DAG_ID)) > before and transform_done(),
    )

    # 3. The marts hold the month.
    batches = driver.batches()
    assert {(d, p, s) for d, p, _, s in batches} == {(d, MONTH, "current") for d in dataset_ids()}
    month_start = f"{MONTH}-01"
    assert driver.sql("select count(*) from marts.fct_garbage_sorting_monthly where month_start = %s", month_start)[0][
        0
    ] == len(garbage_rows())
    assert driver.sql("select count(*) from marts.kpi_scorecard where month_start = %s", month_start)[0][0] > 0
    assert not any(landing.rglob("*.*")), "landing/ still holds files after the loads"
    driver.unpause(TRANSFORM_DAG_ID, paused=True)  # the steps below are about ingest; spare the CPU

    # 4. The same month again: recognised as unchanged, no new batch.
    before = {d: len(driver.finished(d)) for d in INGEST_DAGS}
    _drop(ROOT / "extract" / "samples" / MONTH, landing)
    _wait(
        "every ingest DAG to check the month again",
        lambda: all(len(driver.finished(d)) > before[d] for d in INGEST_DAGS),
    )
    assert driver.batches() == batches

    # 5. A rejected file: its run fails once, without retries; the file is in quarantine.
    dag = ingest_dag_id("garbage_sorting")
    spoiled = garbage_rows("2025-02")
    spoiled[2][3] = -3  # a negative tonnage
    seen = len(driver.finished(dag))
    write(landing / "garbage_sorting" / "2025-02.xlsx", table(spoiled))
    run = _wait("the rejected file's run", lambda: driver.finished(dag)[seen:] and driver.finished(dag)[seen])
    assert run["state"] == "failed"
    ingest = [ti for ti in driver.task_instances(dag, run["dag_run_id"]) if ti["task_id"] == "ingest"]
    assert [(ti["state"], ti["try_number"]) for ti in ingest] == [("failed", 1)]
    assert list((running.home.quarantine / "garbage_sorting" / "2025-02").rglob("2025-02.xlsx"))
    assert driver.batches() == batches
    assert [b[:2] for b in driver.batches("rejected")] == [("garbage_sorting", "2025-02")]

    # 6. The worker dies (SIGKILL, with its task processes) in the middle of a load; a new one
    #    takes over: the task is retried and the month's batch is loaded exactly once.
    running.stop_service(WORKER)
    marker = running.home.root / "paused-at-publish"
    pythonpath = os.pathsep.join(p for p in (str(FAULT_INJECTION), os.environ.get("PYTHONPATH")) if p)
    running.start_service(
        WORKER,
        PYTHONPATH=pythonpath,
        CITYOPS_TEST_PAUSE_AT="publish",
        CITYOPS_TEST_PAUSE_MARKER=str(marker),
    )
    _wait("the fault-injecting worker", running.worker_ready, every=1)
    seen = len(driver.finished(dag))
    good = ROOT / "extract" / "samples" / "2025-02" / "garbage_sorting" / "2025-02.xlsx"
    _drop(good.parent, landing / "garbage_sorting")
    _wait("the load to stop at publish", marker.exists, every=0.5)
    killed = running.kill_service(WORKER, signal.SIGKILL)
    assert int(marker.read_text()) in killed  # the task's own process went down with the worker
    marker.unlink()
    running.start_service(WORKER)
    run = _wait("the retried load", lambda: driver.finished(dag)[seen:] and driver.finished(dag)[seen])
    assert run["state"] == "success"
    ingest = [ti for ti in driver.task_instances(dag, run["dag_run_id"]) if ti["task_id"] == "ingest"]
    assert [(ti["state"], ti["try_number"]) for ti in ingest] == [("success", 2)]
    february = [b for b in driver.batches() if b[:2] == ("garbage_sorting", "2025-02")]
    assert [b[3] for b in february] == ["current"]
    rows = driver.sql("select count(*) from raw.garbage_sorting where _batch_id::text = %s", february[0][2])[0][0]
    assert rows == len(garbage_rows())
