"""Run a DAG with `airflow dags test` on a local SQLite metadata DB under CITYOPS_HOME.

This is the one-machine way: no scheduler or API server, each run in the foreground.
The production stack (docker-compose.yml) runs the very same DAG files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cityops.settings import PROJECT_ROOT, Home


class AirflowRunFailed(RuntimeError):
    """The DAG run failed; the message points at the task logs."""


def airflow_env(home: Home) -> dict[str, str]:
    airflow_home = home.airflow
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home.logs / "airflow"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "CITYOPS_HOME": str(home.root),
        }
    )
    env.setdefault("AIRFLOW__CORE__FERNET_KEY", "")
    return env


def _airflow(home: Home, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    binary = Path(sys.executable).with_name("airflow")
    log_file = home.logs / "airflow-cli.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as log:
        log.write(f"\n$ airflow {' '.join(args)}\n")
        log.flush()
        done = subprocess.run(
            [str(binary), *args], env=airflow_env(home), stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if check and done.returncode != 0:
        raise AirflowRunFailed(
            f"`airflow {' '.join(args[:3])}` failed (exit {done.returncode}); "
            f"see {log_file} and the task logs under {home.logs / 'airflow'}"
        )
    return done


def ensure_metadata_db(home: Home) -> None:
    """`airflow db migrate` once per CITYOPS_HOME (it costs seconds; re-runs are skipped)."""
    marker = home.airflow / ".migrated"
    home.airflow.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        _airflow(home, "db", "migrate")
        marker.touch()


def run_dag(dag_id: str, conf: dict[str, Any], logical_date: str, home: Home | None = None) -> None:
    home = home or Home.from_env()
    ensure_metadata_db(home)
    _airflow(home, "dags", "test", dag_id, logical_date, "-c", json.dumps(conf))


def run_monthly_dag(period: str, home: Home | None = None) -> dict[str, Any]:
    from cityops.monthly import summary_path
    from cityops.pipeline import parse_period

    home = home or Home.from_env()
    month = parse_period(period)
    summary = summary_path(period, home)
    summary.unlink(missing_ok=True)
    # The close of a month runs in the next one; the date only names the run.
    next_month = f"{month.year + month.month // 12}-{month.month % 12 + 1:02d}-10"
    run_dag("cityops_month_close", {"period": period}, next_month, home)
    if not summary.exists():
        raise AirflowRunFailed(
            f"the DAG run for {period} did not finish; see the task logs under {home.logs / 'airflow'}"
        )
    return json.loads(summary.read_text(encoding="utf-8"))
