"""The month close through real Airflow (`airflow dags test` on SQLite), end to end."""

from __future__ import annotations

import json
import os
import shutil

import psycopg
import pytest

from tests.fixtures.commands import ROOT, cityops
from tests.fixtures.garbage import table, write


def test_every_dag_imports_without_errors(tmp_path):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    assert "cityops_month_close" in bag.dag_ids


@pytest.mark.slow
def test_the_month_close_dag_loads_and_models_the_landed_file(tmp_path):
    home = tmp_path / "home"
    landing = home / "landing" / "garbage_sorting"
    landing.mkdir(parents=True)
    write(landing / "2025-03.xlsx", table())
    env = {"CITYOPS_HOME": str(home), "CITYOPS_WAREHOUSE_URL": ""}
    try:
        done = cityops("run", "--period", "2025-03", "--airflow", "--json", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        summary = json.loads(done.stdout)
        assert [(f["dataset"], f["status"], f["rows"]) for f in summary["files"]] == [("garbage_sorting", "loaded", 10)]
        assert summary["marts"]["fct_garbage_sorting_monthly"] == 10
        assert not (landing / "2025-03.xlsx").exists(), "a loaded file leaves landing for the archive"
        url = cityops("warehouse", "url", env=env).stdout.strip().replace("+psycopg", "")
        with psycopg.connect(url) as conn:
            assert conn.execute("select count(*) from marts.fct_garbage_sorting_monthly").fetchone()[0] == 10
            assert conn.execute("select count(*) from audit.ingest_batches where status = 'current'").fetchone()[0] == 1
        assert (home / "airflow" / "airflow.db").exists()
    finally:
        cityops("warehouse", "stop", env=env)
        shutil.rmtree(home / "warehouse", ignore_errors=True)
    assert os.environ.get("CITYOPS_HOME") != str(home)
