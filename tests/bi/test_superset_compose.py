"""Superset in the production stack, checked from docker-compose.yml (no docker engine here)."""

from __future__ import annotations

import re
import tomllib

import yaml

from cityops.bi import superset
from tests.fixtures.commands import ROOT


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_superset_runs_the_official_image_at_the_version_the_lock_pins():
    pins = tomllib.loads((superset.BI_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    version = next(re.search(r"==([\d.]+)", p).group(1) for p in pins if p.startswith("apache-superset=="))
    lock = (superset.BI_DIR / "uv.lock").read_text(encoding="utf-8")
    assert f'name = "apache-superset"\nversion = "{version}"' in lock
    services = _compose()["services"]
    for name in ("superset", "superset-init"):
        assert services[name]["image"] == f"apache/superset:{version}"
        assert services[name]["environment"]["SUPERSET_CONFIG_PATH"] == "/app/cityops-bi/superset_config.py"
        assert any(v.startswith("./bi/superset:/app/cityops-bi") for v in services[name]["volumes"])


def test_superset_init_sets_everything_up_once_and_the_server_waits_for_it():
    services = _compose()["services"]
    init = services["superset-init"]
    script = " ".join(init["command"])
    assert script.index("cityops_bi login") < script.index("cityops_bi setup")
    assert init["restart"] == "no"
    assert {"postgres", "warehouse"} <= set(init["depends_on"])
    server = services["superset"]
    assert server["depends_on"]["superset-init"]["condition"] == "service_completed_successfully"
    assert "/health" in " ".join(server["healthcheck"]["test"])
    assert "WAREHOUSE_PASSWORD" not in server["environment"], "only the one-shot set-up holds the owner's password"


def test_superset_secrets_come_from_env():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for key in ("SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD", "CITYOPS_BI_PASSWORD"):
        assert "${" + key in text and f"\n{key}=" in example
    env = _compose()["services"]["superset-init"]["environment"]
    assert env["CITYOPS_BI_WAREHOUSE_URL"] == "postgresql+psycopg2://cityops_bi@warehouse:5432/cityops"
