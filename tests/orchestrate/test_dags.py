"""The DAGs as an engineer and the scheduler see them: they import cleanly and are wired right.

How fast they parse is measured by `make bench` (dag_parse_max_s), not asserted here.

Fast tests only; the runs through Airflow are in test_dags_runs.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cityops.contracts import dataset_ids
from cityops.orchestrate import naming
from tests.fixtures.commands import ROOT

DAG_FILES = sorted((ROOT / "dags").glob("*.py"))


@pytest.fixture(scope="module")
def bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_every_dag_file_imports_cleanly(path):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(path))
    assert bag.import_errors == {}
    assert bag.dag_ids


def test_dag_files_are_wiring_only():
    for path in DAG_FILES:
        source = path.read_text(encoding="utf-8")
        assert len(source.splitlines()) < 100, f"{path.name} is long: move logic into cityops.orchestrate"
        heavy = ("import pandas", "import great_expectations", "import dbt", "from dbt")
        assert not any(line.startswith(heavy) for line in source.splitlines()), path.name


def test_one_ingest_dag_per_contract_whose_load_updates_the_raw_asset(bag):
    for dataset in dataset_ids():
        dag = bag.dags[naming.ingest_dag_id(dataset)]
        ingest = dag.get_task("ingest")
        assert [a.uri for a in ingest.outlets] == [naming.raw_asset_uri(dataset)]
        assert ingest.retries > 0, "warehouse trouble is retried (a rejection fails without retry)"
        sensor = dag.get_task("wait_for_file")
        assert sensor.deferrable and sensor.filepath == naming.landing_pattern(dataset)
        assert dag.max_active_runs == 1


def test_the_transform_dag_runs_on_every_raw_asset_and_builds_as_cityops_build_does(bag):
    from cityops.orchestrate.dbt_tasks import TASK_ID

    dag = bag.dags[naming.TRANSFORM_DAG_ID]
    uris = {a.uri for a in dag.timetable.asset_condition.objects}
    assert uris == {naming.raw_asset_uri(d) for d in dataset_ids()}
    assert [t.task_id for t in dag.tasks] == [TASK_ID]


def test_both_dags_build_in_one_pool_of_one_slot(bag):
    from cityops.orchestrate.airflow_run import pool_command
    from cityops.orchestrate.dbt_tasks import TASK_ID

    for dag_id in (naming.TRANSFORM_DAG_ID, naming.MONTH_CLOSE_DAG_ID):
        build = bag.dags[dag_id].get_task(TASK_ID)
        assert build.pool == naming.DBT_POOL and build.pool_slots == 1, dag_id
        assert build.python_callable.__module__ == "cityops.orchestrate.dbt_tasks"
    assert pool_command()[:4] == ["pools", "set", naming.DBT_POOL, "1"]


def test_the_month_close_is_monthly_without_catchup_and_takes_a_range(bag):
    dag = bag.dags[naming.MONTH_CLOSE_DAG_ID]
    assert dag.schedule == "@monthly"
    assert dag.catchup is False
    assert {"period", "through"} <= set(dag.params)
    assert dag.get_task("ingest").retries > 0
    assert dag.default_args["on_failure_callback"].__name__ == "on_failure"


def test_months_of_a_run():
    from cityops.orchestrate.tasks import months

    assert months("2024-11", "2025-02", None) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert months(None, None, dt.datetime(2025, 4, 1, tzinfo=dt.UTC)) == ["2025-03"]
    with pytest.raises(ValueError):
        months("2025-03", "2025-01", None)


def test_a_failure_alert_is_logged_always_and_posted_when_a_webhook_is_set(webhook, monkeypatch, caplog):
    from cityops.orchestrate.alerts import on_failure

    class TI:
        dag_id, task_id, run_id = "cityops_month_close", "ingest", "manual__1"

    context = {"ti": TI(), "params": {"period": "2025-03"}, "exception": RuntimeError("warehouse down")}
    monkeypatch.delenv("CITYOPS_ALERT_WEBHOOK", raising=False)
    on_failure(context)
    assert "cityops run --period 2025-03 --airflow" in caplog.text
    url, received = webhook
    monkeypatch.setenv("CITYOPS_ALERT_WEBHOOK", url)
    on_failure(context)
    assert received and received[0]["task_id"] == "ingest" and "warehouse down" in received[0]["text"]
    monkeypatch.setenv("CITYOPS_ALERT_WEBHOOK", "http://127.0.0.1:9/nobody-listens")
    monkeypatch.setenv("CITYOPS_ALERT_BACKOFF_S", "0.01")
    on_failure(context)  # an undeliverable alert is logged, never raised
    assert "could not send the alert" in caplog.text
