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

from cityops import periods
from cityops.errors import AirflowRunFailed
from cityops.orchestrate.naming import DBT_POOL, DBT_POOL_ARGS, LANDING_CONN_ID, MONTH_CLOSE_DAG_ID
from cityops.settings import PROJECT_ROOT, Home


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
            # One process, no triggerer: the dbt tasks poke instead of deferring (see dbt_tasks).
            "CITYOPS_AIRFLOW_EMBEDDED": "1",
            f"AIRFLOW_CONN_{LANDING_CONN_ID.upper()}": json.dumps(
                {"conn_type": "fs", "extra": {"path": str(home.landing)}}
            ),
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
        start = log.tell()
        done = subprocess.run(
            [str(binary), *args], env=airflow_env(home), stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if check and done.returncode != 0:
        raise AirflowRunFailed(
            f"`airflow {' '.join(args[:3])}` failed (exit {done.returncode}){_alerts(log_file, start)}; "
            f"see {log_file} and the task logs under {home.logs / 'airflow'}"
        )
    return done


def _alerts(log_file: Path, start: int) -> str:
    """The failure alerts this run raised (cityops.orchestrate.alerts logs each one as `ALERT …`)."""
    with log_file.open(encoding="utf-8", errors="replace") as log:
        log.seek(start)
        alerts = [line.split("ALERT ", 1)[1].strip() for line in log if "ALERT cityops:" in line]
    return "".join(f"\n  {alert}" for alert in dict.fromkeys(alerts))


def ensure_metadata_db(home: Home) -> None:
    """`airflow db migrate` once per CITYOPS_HOME (it costs seconds; re-runs are skipped)."""
    from cityops.orchestrate.local_settings import LOCAL_SETTINGS

    marker = home.airflow / ".migrated"
    home.airflow.mkdir(parents=True, exist_ok=True)
    local_settings = home.airflow / "config" / "airflow_local_settings.py"
    if not local_settings.is_file() or local_settings.read_text() != LOCAL_SETTINGS:
        local_settings.parent.mkdir(exist_ok=True)
        local_settings.write_text(LOCAL_SETTINGS)
    if not marker.exists():
        _airflow(home, "db", "migrate")
        marker.touch()
    pool = home.airflow / f".pool-{DBT_POOL}"
    if not pool.exists():
        _airflow(home, *pool_command())
        pool.touch()


def pool_command() -> list[str]:
    """The `airflow` arguments that create the dbt build's pool (one slot); every metadata DB needs it."""
    return list(DBT_POOL_ARGS)


def run_dag(dag_id: str, conf: dict[str, Any], logical_date: str, home: Home | None = None) -> None:
    home = home or Home.from_env()
    ensure_metadata_db(home)
    # A DAG in a file of its own name is looked up in that file only, not the whole folder.
    own_file = PROJECT_ROOT / "dags" / f"{dag_id}.py"
    only_its_file = ("--dagfile-path", str(own_file)) if own_file.is_file() else ()
    _airflow(home, "dags", "test", dag_id, logical_date, "-c", json.dumps(conf), *only_its_file)


def run_monthly_dag(period: str, home: Home | None = None) -> dict[str, Any]:
    """Close one month through the close DAG; its summary."""
    return run_months(period, period, home)[0]


def run_months(period: str, through: str | None = None, home: Home | None = None) -> list[dict[str, Any]]:
    """Close (or re-run) the months `period`..`through` in ONE run of the close DAG.

    One run, one dbt build for the whole range; re-running is harmless: a file already
    loaded is `unchanged`, and the marts are rebuilt from the current batches.
    """
    from cityops.orchestrate.tasks import months
    from cityops.report.month import read_summary, summary_path  # SQLAlchemy, openpyxl: not for run_dag

    home = home or Home.from_env()
    closing = months(period, through, None)
    for each in closing:
        summary_path(each, home).unlink(missing_ok=True)
    # The close of a month runs in the next one, by its due date; the date only names the run.
    run_date = periods.due_on(periods.parse_period(closing[-1])).isoformat()
    run_dag(MONTH_CLOSE_DAG_ID, {"period": closing[0], "through": closing[-1]}, run_date, home)
    summaries = {each: read_summary(each, home) for each in closing}
    missing = [each for each, summary in summaries.items() if summary is None]
    if missing:
        raise AirflowRunFailed(
            f"the DAG run for {', '.join(missing)} did not finish; see the task logs under {home.logs / 'airflow'}"
        )
    return list(summaries.values())
