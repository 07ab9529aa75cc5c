"""Adding a dataset is adding its contract: no Python changes (the README's promise, proved).

A throwaway contract goes into a contracts folder of its own (CITYOPS_CONTRACTS_DIR, beside
copies of the real ones). With no edit to any Python file, the new dataset then:
1. gets a month of sample files (`cityops samples`' writers fall back to its contract);
2. loads: the file dropped in landing/ goes through `cityops ingest`;
3. is refused for the right rule: one spoiled row per rule its contract states;
4. gets its ingest DAG and its raw Asset, which the transform DAG listens to;
5. gets its dbt source (`cityops contracts sources` says the committed file is stale, then
   `--write` adds the table with its columns).
"""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from cityops.contracts import all_contracts, get_contract
from cityops.orchestrate import naming
from cityops.periods import parse_period
from cityops.transform import staging
from cityops.transform.sources import stale_files
from cityops_dev.samples import write_month
from tests.fixtures.commands import ROOT, cityops
from tests.fixtures.db import scalar
from tests.fixtures.rows import assert_each_spoil_is_named, load, spoiled_months

DATASET = "street_trees"
CONTRACT = """
# A dataset the project has never seen: the street trees each street planted in a month.
dataset: street_trees
title_zh: 行道树补植月报
title_en: Street trees planted
department: 区绿化市容局
grain: planting site × month
submission: monthly
key: [period, site_id]
row_count: {min: 1, max: 500}
columns:
  - {name: period, header: 统计月份, type: month, equals_period: true,
     description_zh: 统计月份, description_en: reporting month}
  - {name: site_id, header: 点位编号, type: text, max_length: 32,
     description_zh: 补植点位编号, description_en: planting site}
  - {name: street, header: 街镇, type: street, description_zh: 所属街镇, description_en: street or town}
  - {name: species, header: 树种, type: enum, values: [悬铃木, 香樟, 银杏, 无患子],
     description_zh: 树种, description_en: species}
  - {name: trees_planted, header: 补植株数, type: int, min: 0, max: 500,
     description_zh: 补植株数, description_en: trees planted}
  - {name: trees_survived, header: 成活株数, type: int, min: 0, max_column: trees_planted,
     description_zh: 成活株数, description_en: trees alive at inspection}
  - {name: planted_on, header: 补植日期, type: date, inside_period: true,
     description_zh: 补植日期, description_en: day planted}
  - {name: inspected_on, header: 验收日期, type: date, blank: null, min_column: planted_on,
     description_zh: 验收日期, description_en: day inspected}
"""


@pytest.fixture
def new_contract(tmp_path, monkeypatch):
    """The real contracts and the throwaway one, in a folder of their own; the dbt project copied beside."""
    contracts = tmp_path / "contracts"
    shutil.copytree(ROOT / "expectations", contracts, ignore=shutil.ignore_patterns("suites"))
    (contracts / f"{DATASET}.yml").write_text(textwrap.dedent(CONTRACT).lstrip(), encoding="utf-8")
    project = tmp_path / "dbt_project"
    shutil.copytree(ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    monkeypatch.setenv("CITYOPS_CONTRACTS_DIR", str(contracts))
    monkeypatch.setenv("CITYOPS_DBT_PROJECT_DIR", str(project))
    for cached in (all_contracts, get_contract):
        cached.cache_clear()
    yield project
    for cached in (all_contracts, get_contract):
        cached.cache_clear()


@pytest.mark.slow
def test_a_new_contract_is_all_a_new_dataset_needs(wh, tmp_path, new_contract):
    assert DATASET in cityops("contracts", "list").stdout

    # 1-2. A sample month, dropped in landing/, loads through the command line.
    [sample] = write_month(parse_period("2025-03"), tmp_path / "samples", datasets=[DATASET])
    landed = wh.landing / DATASET / sample.name
    landed.parent.mkdir(parents=True)
    shutil.copy(sample, landed)
    done = cityops("ingest", str(landed), "--dataset", DATASET, "--period", "2025-03", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = json.loads(done.stdout)
    assert loaded["status"] == "loaded" and loaded["rows"] > 0
    assert scalar(wh, f"select count(*) from raw.{DATASET}") == loaded["rows"]

    # 3. Refused for the right rule, each spoiled row named.
    for number, (rows, at) in enumerate(spoiled_months(DATASET)):
        outcome = load(tmp_path, DATASET, rows, name=f"spoiled-{number}")
        assert outcome.status == "rejected"
        assert_each_spoil_is_named(outcome, at)
    rules = {spoil.rule for _, at in spoiled_months(DATASET) for spoil in at.values()}
    assert {"period_mismatch", "not_in_list", "max_value", "not_greater_than_column", "outside_period"} <= rules

    # 4. Its ingest DAG, whose load updates its raw Asset, which starts the transform DAG.
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    ingest = bag.dags[naming.ingest_dag_id(DATASET)].get_task("ingest")
    assert [a.uri for a in ingest.outlets] == [naming.raw_asset_uri(DATASET)]
    transform = bag.dags[naming.TRANSFORM_DAG_ID]
    assert naming.raw_asset_uri(DATASET) in {a.uri for a in transform.timetable.asset_condition.objects}

    # 5. Its dbt source: the committed sources are stale until regenerated from the contracts.
    stale = cityops("contracts", "sources")
    assert stale.returncode == 1 and "stale" in stale.stderr
    assert cityops("contracts", "sources", "--write").returncode == 0
    assert cityops("contracts", "sources").returncode == 0
    sources = staging.staging_dir().joinpath("_raw__sources.yml").read_text(encoding="utf-8")
    assert f"- name: {DATASET}" in sources
    for column in ("site_id", "trees_planted", "inspected_on"):
        assert f"- name: {column}" in sources

    # 6. Its staging model and yml, generated from the contract with the tests it implies
    # (tests/transform/test_staging_generated.py builds such a model with dbt).
    model, docs = staging.model_paths(DATASET)
    assert "trees_planted" in model.read_text(encoding="utf-8")
    assert "not_null" in docs.read_text(encoding="utf-8")
    assert stale_files() == []
