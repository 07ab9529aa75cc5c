"""What every process of the production stack runs with: commands and environment, written once.

`cityops stack up` (this machine, no Docker) and `docker-compose.yml` start the same five
Airflow 3 services with the same commands and the same settings; only the addresses differ
(127.0.0.1 and ports here, service names there) and where secrets come from (files under
CITYOPS_HOME here, `.env` there). `airflow_environment(Place.compose())` is exactly the
`x-airflow-common` environment of docker-compose.yml, and tests/orchestrate/test_compose.py
fails, naming the key, when the two differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cityops.orchestrate.naming import LANDING_CONN_ID

# Service name (as docker-compose.yml names it) -> the `airflow` sub-command it runs.
SERVICES: dict[str, tuple[str, ...]] = {
    "airflow-apiserver": ("api-server",),
    "airflow-scheduler": ("scheduler",),
    "airflow-dag-processor": ("dag-processor",),
    "airflow-triggerer": ("triggerer",),
    "airflow-worker": ("celery", "worker"),
}
WORKER = "airflow-worker"
# Run once before the services: the metadata schema (`airflow-init` in compose).
MIGRATE: tuple[str, ...] = ("db", "migrate")
ADMIN = "admin"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"

# The same everywhere, whatever the machine.
FIXED: dict[str, str] = {
    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "cityops.orchestrate.celery_config.CELERY_CONFIG",
    "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
    "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
    "GX_ANALYTICS_ENABLED": "false",
}
# Tunables: these values unless the operator's environment (or .env in compose) sets them.
# A rejected file is never retried (cityops.orchestrate.tasks); warehouse trouble is, after this delay.
DEFAULTS: dict[str, str] = {
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "false",
    "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "60",
    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
}


@dataclass(frozen=True)
class Place:
    """Where the stack runs: the addresses and secrets that differ between here and compose."""

    home: str  # CITYOPS_HOME as the processes see it
    dags: str
    logs: str
    metadata_url: str  # SQLAlchemy URL of Airflow's metadata database
    broker_url: str
    api_host: str
    api_port: str
    api_url: str  # how the other processes reach the api-server
    scheduler_health_port: str
    worker_log_port: str
    trigger_log_port: str
    jwt_secret: str
    fernet_key: str
    users: str
    passwords_file: str
    pii_key: str | None  # None: the key file under CITYOPS_HOME (cityops.extract.pii)
    warehouse_url: str | None  # None: the embedded warehouse under CITYOPS_HOME
    alert_webhook: str | None
    defaults: dict[str, str]

    @classmethod
    def compose(cls) -> Place:
        """The docker-compose.yml side: service names, secrets from .env."""
        db = "airflow:${AIRFLOW_DB_PASSWORD:?set AIRFLOW_DB_PASSWORD in .env}@postgres:5432/airflow"
        return cls(
            home="/opt/cityops/home",
            dags="/opt/cityops/dags",
            logs="/opt/airflow/logs",
            metadata_url=f"postgresql+psycopg://{db}",
            broker_url="redis://redis:6379/0",
            api_host="0.0.0.0",
            api_port="8080",
            api_url="http://airflow-apiserver:8080",
            scheduler_health_port="8974",
            worker_log_port="8793",
            trigger_log_port="8794",
            jwt_secret="${AIRFLOW_JWT_SECRET:?set AIRFLOW_JWT_SECRET in .env}",
            fernet_key="${AIRFLOW_FERNET_KEY:-}",
            users="${AIRFLOW_USERS:-admin:admin}",
            passwords_file="/opt/cityops/home/secrets/airflow-passwords.json",
            pii_key="${CITYOPS_PII_KEY:?set CITYOPS_PII_KEY in .env}",
            warehouse_url="postgresql://cityops:${WAREHOUSE_PASSWORD:?set WAREHOUSE_PASSWORD in .env}"
            "@warehouse:5432/cityops",
            alert_webhook="${CITYOPS_ALERT_WEBHOOK:-}",
            defaults={key: f"${{{key}:-{value}}}" for key, value in DEFAULTS.items()},
        )


def result_backend(metadata_url: str) -> str:
    """Celery keeps task results in Airflow's metadata database."""
    return f"db+{metadata_url}"


def airflow_environment(place: Place) -> dict[str, str]:
    """The environment of every Airflow process of the stack (api-server, scheduler, dag-processor,
    triggerer, Celery worker, `airflow db migrate`): one JWT secret, one execution-API URL."""
    env = {
        **FIXED,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": place.users,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": place.passwords_file,
        "AIRFLOW__CORE__DAGS_FOLDER": place.dags,
        "AIRFLOW__CORE__FERNET_KEY": place.fernet_key,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{place.api_url}/execution/",
        "AIRFLOW__API__HOST": place.api_host,
        "AIRFLOW__API__PORT": place.api_port,
        "AIRFLOW__API_AUTH__JWT_SECRET": place.jwt_secret,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": place.metadata_url,
        # psycopg 3 serves Airflow's async engine too; left alone, Airflow would ask for asyncpg
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": place.metadata_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": result_backend(place.metadata_url),
        "AIRFLOW__CELERY__BROKER_URL": place.broker_url,
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": place.api_host,
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": place.scheduler_health_port,
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": place.logs,
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": place.worker_log_port,
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": place.trigger_log_port,
        # The FileSensor of each ingest DAG watches this folder (see cityops.orchestrate.naming).
        f"AIRFLOW_CONN_{LANDING_CONN_ID.upper()}": json.dumps(
            {"conn_type": "fs", "extra": {"path": f"{place.home}/landing"}}
        ),
        "CITYOPS_HOME": place.home,
        **place.defaults,
    }
    optional = {
        "CITYOPS_WAREHOUSE_URL": place.warehouse_url,
        "CITYOPS_PII_KEY": place.pii_key,
        "CITYOPS_ALERT_WEBHOOK": place.alert_webhook,
    }
    env.update({key: value for key, value in optional.items() if value is not None})
    return env
