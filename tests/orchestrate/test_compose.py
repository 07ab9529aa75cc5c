"""The production stack's docker-compose.yml, checked from its YAML (no docker engine here)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from cityops.orchestrate.naming import DBT_POOL
from cityops.orchestrate.stack_config import MIGRATE, SERVICES, Place, airflow_environment
from tests.fixtures.commands import ROOT

AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_stack_has_every_service_it_needs(compose):
    services = set(compose["services"])
    assert AIRFLOW_SERVICES | {"airflow-worker", "redis", "postgres", "warehouse", "airflow-init"} <= services


def test_airflow_runs_airflow_3_with_celery_on_redis_and_postgres(compose):
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM apache/airflow:3." in dockerfile and "uv sync --frozen" in dockerfile
    for name in AIRFLOW_SERVICES | {"airflow-worker"}:
        service = compose["services"][name]
        assert service["build"]["dockerfile"] == "docker/Dockerfile"
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
        assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert "@warehouse:5432/cityops" in env["CITYOPS_WAREHOUSE_URL"]
    assert compose["services"]["redis"]["image"].startswith("redis:")
    for database in ("postgres", "warehouse"):
        assert compose["services"][database]["image"].startswith("postgres:")


def test_compose_runs_the_commands_and_settings_of_cityops_stack(compose):
    """One source of truth: docker-compose.yml and `cityops stack up` cannot drift apart."""
    commands = {name: compose["services"][name]["command"] for name in SERVICES}
    assert commands == {name: list(command) for name, command in SERVICES.items()}
    assert f"airflow {' '.join(MIGRATE)}" in " ".join(compose["services"]["airflow-init"]["command"])
    init = " ".join(compose["services"]["airflow-init"]["command"])
    assert f"airflow pools set {DBT_POOL} 1 " in init, "the dbt build's pool of one"
    expected = airflow_environment(Place.compose())
    actual = compose["x-airflow-common"]["environment"]
    wrong = {key: (actual.get(key), value) for key, value in expected.items() if actual.get(key) != value}
    extra = sorted(set(actual) - set(expected))
    assert not wrong and not extra, (
        f"docker-compose.yml's x-airflow-common environment differs from cityops.orchestrate.stack_config: "
        f"(compose, stack) {wrong}; only in compose: {extra}"
    )
    # and the worker's own additions are only what Docker needs
    worker = compose["services"]["airflow-worker"]["environment"]
    assert set(worker) - set(expected) == {"DUMB_INIT_SETSID"}


def test_every_long_running_service_has_a_healthcheck_and_waits_for_what_it_needs(compose):
    for name, service in compose["services"].items():
        if name in ("airflow-init", "superset-init"):  # one-shot set-up steps
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name in AIRFLOW_SERVICES | {"airflow-worker"}:
        needs = compose["services"][name]["depends_on"]
        assert needs["airflow-init"]["condition"] == "service_completed_successfully"
        assert all(needs[s]["condition"] == "service_healthy" for s in ("redis", "postgres", "warehouse"))


def test_landing_is_a_volume_and_data_outlive_the_containers(compose):
    mounts = compose["services"]["airflow-worker"]["volumes"]
    assert any(m.endswith(":/opt/cityops/home/landing") for m in mounts)
    landing = compose["x-airflow-common"]["environment"]["AIRFLOW_CONN_CITYOPS_LANDING"]
    assert "/opt/cityops/home/landing" in landing
    assert {"airflow-db", "warehouse-data", "cityops-home"} <= set(compose["volumes"])


def test_secrets_come_from_env_and_only_an_example_is_committed():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    keys = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for key in ("AIRFLOW_DB_PASSWORD", "WAREHOUSE_PASSWORD", "CITYOPS_PII_KEY", "AIRFLOW_JWT_SECRET"):
        assert key in keys and "${" + key in text
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == ""


def test_docker_compose_config_where_docker_exists(tmp_path):
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` on this machine; the YAML checks above stand in")
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text().replace("=\n", "=placeholder\n"))
    done = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "--env-file", str(env), "config", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr


def test_the_portal_serves_the_departments_from_the_same_image_and_home(compose):
    portal = compose["services"]["portal"]
    assert portal["image"] == compose["services"]["airflow-worker"]["image"]
    assert "cityops portal" in " ".join(portal["command"])
    assert portal["healthcheck"]["test"][-1].endswith("/healthz")
    assert "@warehouse:5432/cityops" in portal["environment"]["CITYOPS_WAREHOUSE_URL"]
    assert portal["environment"]["CITYOPS_PORTAL_SECRET"].startswith("${CITYOPS_PORTAL_SECRET")
    assert any(v.startswith("cityops-home:") for v in portal["volumes"])
    assert portal["depends_on"]["warehouse"]["condition"] == "service_healthy"
