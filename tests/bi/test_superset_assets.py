"""The Superset assets in git, checked without a server: against the dbt marts, and for secrets.

The check runs in Superset's own locked environment (sqlglot resolves every dataset, metric
and chart column against the marts' dbt YAML); installing it is a no-op once cached.
"""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from cityops.bi import superset
from tests.fixtures.commands import ROOT

ASSETS = superset.BI_DIR / "assets"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _assets(kind: str) -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ASSETS / kind).glob("*.yaml"))}


@pytest.fixture
def dbt_copy(tmp_path):
    """A copy of the dbt models to break on purpose."""
    shutil.copytree(ROOT / "dbt_project" / "models", tmp_path / "models")
    return tmp_path


def test_the_committed_dashboards_match_the_dbt_marts():
    assert superset.check(ROOT / "dbt_project") == []


def test_a_renamed_mart_column_names_the_charts_it_breaks_and_their_dashboard(dbt_copy):
    garbage = dbt_copy / "models" / "marts" / "garbage" / "_garbage.yml"
    text = garbage.read_text(encoding="utf-8")
    garbage.write_text(text.replace("- name: resource_utilization_pct", "- name: resource_utilisation_pct"))
    problems = superset.check(dbt_copy)
    broken = {re.search(r"chart «(.+?)»", p).group(1) for p in problems if p.startswith("chart ")}
    assert broken == {"资源化利用率", "各街镇资源化利用率（%，目标 ≥68）", "街镇月度明细"}, problems
    assert all("生活垃圾分类" in p and "resource_utilization_pct" in p for p in problems if p.startswith("chart "))
    assert any(p.startswith("dataset «fct_garbage_sorting_monthly»") for p in problems)


def test_a_renamed_column_behind_a_virtual_dataset_is_caught_too(dbt_copy):
    streets = dbt_copy / "models" / "marts" / "core" / "_core.yml"
    text = streets.read_text(encoding="utf-8")
    streets.write_text(text.replace("  - name: short_name\n", "  - name: street_short\n", 1))
    problems = superset.check(dbt_copy)
    assert any("12345热线与网格化管理" in p and "street_short_name" in p for p in problems), problems


def test_every_dashboard_is_a_dbt_exposure_that_lists_what_it_reads(dbt_copy):
    exposures = dbt_copy / "models" / "exposures.yml"
    doc = yaml.safe_load(exposures.read_text(encoding="utf-8"))
    for exposure in doc["exposures"]:
        if exposure["name"] == "hotline_grid_service_dashboard":
            exposure["depends_on"].remove("ref('dim_street')")
    doc["exposures"] = [e for e in doc["exposures"] if e["name"] != "water_quality_dashboard"]
    exposures.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    problems = superset.check(dbt_copy)
    assert any("河道水质" in p and "no dbt exposure" in p for p in problems), problems
    assert any("hotline_grid_service_dashboard lacks ref('dim_street')" in p for p in problems), problems


def test_no_password_is_committed_and_superset_reads_as_the_reporting_login():
    for name, database in _assets("databases").items():
        assert "password" not in database, name
        assert re.match(r"postgresql\+psycopg2://cityops_bi:X{10}@", database["sqlalchemy_uri"]), name
        assert database["allow_dml"] is False, name


def test_every_chart_has_its_stored_query_so_the_data_api_can_run_it():
    missing = [c["slice_name"] for c in _assets("charts").values() if not c.get("query_context", {}).get("queries")]
    assert not missing, f"open these charts once in Superset's Explore, then `cityops bi export`: {missing}"


def test_dashboards_and_charts_speak_chinese():
    dashboards = _assets("dashboards")
    assert {d["dashboard_title"] for d in dashboards.values()} >= {"城运总览", "生活垃圾分类", "12345热线与网格化管理",
                                                                "河道水质", "架空线入地·住房修缮·加装电梯"}  # fmt: skip
    for chart in _assets("charts").values():
        assert CJK.search(chart["slice_name"]), chart["slice_name"]
    for dataset in _assets("datasets").values():
        unlabelled = [c["column_name"] for c in dataset["columns"] if not CJK.search(c.get("verbose_name") or "")]
        assert not [c for c in unlabelled if c not in ("batch_id", "loaded_at")], (dataset["table_name"], unlabelled)


def test_the_scorecard_filters_by_month_and_subject_and_colours_every_status():
    overview = _assets("dashboards")["overview.yaml"]
    filters = {f["name"]: f for f in overview["metadata"]["native_filter_configuration"]}
    assert {"月份", "主题", "状态"} <= set(filters)
    month = filters["月份"]
    assert month["requiredFirst"] and month["controlValues"]["defaultToFirstItem"]  # opens on the latest month
    assert month["controlValues"]["sortAscending"] is False
    table = _assets("charts")["sc_table.yaml"]["params"]
    coloured = {rule["targetValue"] for rule in table["conditional_formatting"] if rule["column"] == "status_zh"}
    assert coloured == {"达标", "预警", "未达标", "无数据"}
    assert {"value", "target", "expected_value", "progress_pct", "status_zh"} <= set(table["all_columns"])
