"""A real Superset on loopback over a warehouse loaded with the sample months.

Once per module: the committed sample months are ingested and the marts built, Superset's
locked environment is installed (a no-op when cached), its SQLite metadata set up, the
assets imported and gunicorn started on a free port. Everything below goes through its
REST API or a headless Chromium, as a BI user would; the server is stopped at the end.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests
import yaml

from cityops.bi import superset
from cityops.ingest import ingest
from cityops.load.warehouse import connect
from cityops.transform.dbt import build
from tests.fixtures.commands import ROOT
from tests.fixtures.db import RESET

pytestmark = pytest.mark.slow
SAMPLES = sorted((ROOT / "extract" / "samples").glob("2025-0*"))
ASSETS = superset.BI_DIR / "assets"


class Api:
    def __init__(self, base: str, password: str) -> None:
        self.base = base
        self.http = requests.Session()
        login = {"username": superset.ADMIN, "password": password, "provider": "db", "refresh": True}
        token = self.http.post(f"{base}/api/v1/security/login", json=login, timeout=60).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.http.headers.update({"X-CSRFToken": csrf, "Referer": base})

    def get(self, path: str) -> dict:
        response = self.http.get(f"{self.base}{path}", timeout=300)
        response.raise_for_status()
        return response.json()

    def listing(self, kind: str) -> list[dict]:
        return self.get(f"/api/v1/{kind}/?q=(page_size:100)")["result"]

    def sql(self, database_id: int, statement: str) -> dict:
        body = {"database_id": database_id, "sql": statement, "runAsync": False, "schema": "marts"}
        return self.http.post(f"{self.base}/api/v1/sqllab/execute/", json=body, timeout=300).json()

    def allow_dml(self, database_id: int, allowed: bool) -> None:
        response = self.http.put(f"{self.base}/api/v1/database/{database_id}", json={"allow_dml": allowed}, timeout=60)
        response.raise_for_status()


@pytest.fixture(scope="module")
def served(home):
    with connect(home) as conn:
        conn.execute(RESET)
    for month in SAMPLES:
        for path in sorted(month.glob("*/*")):
            outcome = ingest(path, path.parent.name, month.name)
            assert outcome.status in ("loaded", "unchanged"), (path, outcome.status, outcome.message)
    build()
    superset.install()
    superset.prepare(home)
    url = superset.start(home, port=0)
    try:
        yield home, url, Api(url, superset.admin_password(home))
    finally:
        superset.stop(home)


def _titles(kind: str, key: str) -> set[str]:
    return {yaml.safe_load(p.read_text(encoding="utf-8"))[key] for p in (ASSETS / kind).glob("*.yaml")}


def test_every_dashboard_of_the_repo_is_there(served):
    _, _, api = served
    assert {d["dashboard_title"] for d in api.listing("dashboard")} == _titles("dashboards", "dashboard_title")
    assert {c["slice_name"] for c in api.listing("chart")} == _titles("charts", "slice_name")


def test_every_chart_query_runs_on_the_marts_and_returns_rows(served):
    _, _, api = served
    empty, failed = [], []
    for chart in api.listing("chart"):
        response = api.http.get(f"{api.base}/api/v1/chart/{chart['id']}/data/", timeout=300)
        if response.status_code != 200:
            failed.append((chart["slice_name"], response.status_code, response.text[:200]))
        elif not any(result["rowcount"] for result in response.json()["result"]):
            empty.append(chart["slice_name"])
    assert not failed, failed
    assert not empty, f"charts with no rows: {empty}"


def test_the_scorecard_has_every_indicator_of_the_latest_month_with_a_status(served):
    _, _, api = served
    chart = next(c for c in api.listing("chart") if c["slice_name"] == "规划指标记分卡")
    rows = api.get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]["data"]
    latest = [r for r in rows if r["month_label"] == SAMPLES[-1].name]
    assert len(latest) == 31 and {r["status_zh"] for r in latest} <= {"达标", "预警", "未达标", "无数据"}
    assert all(r["indicator_name_zh"] and r["subject_zh"] for r in latest)


def test_the_reporting_login_reads_the_marts_and_cannot_write_or_read_raw(served):
    _, _, api = served
    database = next(d for d in api.listing("database") if d["database_name"] == "城运主题数据库")
    assert api.sql(database["id"], "select count(*) as n from marts.dim_street")["data"] == [{"n": 10}]
    refused = api.sql(database["id"], "update marts.dim_street set street_name = street_name")
    assert "errors" in refused, refused  # Superset itself refuses DML on this database
    api.allow_dml(database["id"], True)  # ... and with Superset's guard off, PostgreSQL refuses
    try:
        for statement in (
            "update marts.dim_street set street_name = street_name",
            "create table marts.bi_probe (x int)",
            "select count(*) from raw.garbage_sorting",
        ):
            answer = api.sql(database["id"], statement)
            messages = json.dumps(answer.get("errors", answer), ensure_ascii=False)
            assert "permission denied" in messages, (statement, answer)
    finally:
        api.allow_dml(database["id"], False)


def test_importing_again_changes_nothing_and_adds_nothing(served):
    home, _, api = served
    before = {kind: sorted((o["id"], str(o.get("uuid", ""))) for o in api.listing(kind))
              for kind in ("dashboard", "chart", "dataset", "database")}  # fmt: skip
    superset.run_bi(home, "import")
    after = {kind: sorted((o["id"], str(o.get("uuid", ""))) for o in api.listing(kind)) for kind in before}
    assert after == before


def test_export_writes_back_exactly_what_is_committed(served, tmp_path):
    home, _, _ = served
    copy = tmp_path / "assets"
    shutil.copytree(ASSETS, copy)
    output = superset.run_bi(home, "--assets", str(copy), "export")
    assert output.strip().splitlines()[-1] == "the folder already matches Superset", output


def test_the_scorecard_and_a_subject_dashboard_draw_in_chromium_without_an_error(served, tmp_path):
    """The same pass as the README's screenshots; every chart's query is checked above."""
    home, url, _ = served
    report = tmp_path / "report.json"
    only = ["--only", "cityops-overview", "--only", "hotline-grid"]
    superset.run_bi(home, "browse", "--url", url, *only, "--report", str(report), "--screenshots", str(tmp_path))
    seen = {d["title"]: d for d in json.loads(report.read_text(encoding="utf-8"))}
    assert set(seen) == {"城运总览", "12345热线与网格化管理"}
    assert all(d["charts"] >= 8 and not d["errors"] and not d["busy"] for d in seen.values()), seen
    overview = seen["城运总览"]
    assert "规划指标记分卡" in overview["text"] and SAMPLES[-1].name in overview["text"]
    assert Path(overview["screenshot"]).stat().st_size > 50_000
