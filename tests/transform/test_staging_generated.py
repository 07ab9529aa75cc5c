"""The dbt staging layer is generated from the contracts, and says which file drifted.

The throwaway-contract story runs the real command line (`cityops contracts sources
--write`, `cityops ingest`) and real dbt against a copy of the project, so nothing here
edits the repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from cityops.contracts import all_contracts, get_contract
from cityops.errors import BuildNotPublished
from cityops.reference import seed_rows
from cityops.transform.dbt import build
from cityops.transform.sources import COMMAND, stale_files, write_sources
from cityops.transform.staging import scoped
from tests.fixtures.commands import ROOT, cityops
from tests.fixtures.db import query

LAMPS = "street_lamp_faults"
CONTRACT = """\
dataset: street_lamp_faults
title_zh: 路灯故障报修
title_en: Street-lamp fault reports
department: 区绿化市容局
grain: fault
submission: monthly
key: [fault_id]
row_count: {min: 1, max: 1000}
columns:
  - {name: fault_id, header: 报修编号, type: text, description_zh: 报修编号, description_en: fault number}
  - {name: street, header: 街镇, type: street, description_zh: 所属街镇, description_en: street or town}
  - {name: kind, header: 故障类型, type: enum, values: [不亮, 常亮, 灯杆损坏],
     description_zh: 故障类型, description_en: kind of fault}
  - {name: repaired, header: 是否修复, type: enum, values: [是, 否],
     description_zh: 是否已修复, description_en: repaired}
  - {name: note, header: 备注, type: text, blank: null, description_zh: 备注, description_en: note}
"""
FAULTS = "报修编号,街镇,故障类型,是否修复,备注\nL-001,华阳路街道,不亮,是,\nL-002,新泾镇,灯杆损坏,否,待换杆\n"


def _forget_contracts() -> None:
    for cached in (all_contracts, get_contract, seed_rows):
        cached.cache_clear()


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the contracts and the dbt project that the commands and dbt work on."""
    shutil.copytree(ROOT / "expectations", tmp_path / "expectations")
    shutil.copytree(ROOT / "dbt_project", tmp_path / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("CITYOPS_CONTRACTS_DIR", str(tmp_path / "expectations"))
    monkeypatch.setenv("CITYOPS_DBT_PROJECT_DIR", str(tmp_path / "dbt_project"))
    _forget_contracts()
    yield tmp_path / "dbt_project"
    monkeypatch.undo()
    _forget_contracts()


def _dbt(home, project: Path, *args: str):
    """Real dbt on the copied project, its own target folder (the session's stays intact)."""
    from dbt.cli.main import dbtRunner

    from cityops.transform.dbt import prepare

    prepare(home)  # every raw table the contracts name exists; the profile points at the warehouse
    paths = ["--project-dir", str(project), "--profiles-dir", str(project), "--target-path", str(project / "target")]
    return dbtRunner().invoke([*args, *paths, "--log-path", str(project / "logs"), "--quiet"])


def _failures(result) -> list[str]:
    return [str(r.node.name) for r in result.result or [] if str(r.status) in {"fail", "error"}]


def test_the_committed_dbt_files_match_the_contracts():
    assert stale_files() == [], f"run `{COMMAND}` and commit the result"


def test_drift_is_named_file_by_file_and_the_command_repairs_it(project):
    raw = project / "models" / "staging" / "raw"
    (raw / "stg_hotline_cases.yml").write_text("version: 2\n", encoding="utf-8")
    (raw / "stg_grid_cases.sql").unlink()
    orphan = raw / "stg_parking_fines.sql"
    orphan.write_text(f"-- Generated from expectations/parking_fines.yml by `{COMMAND}`. Do not edit.\n")

    assert stale_files() == [
        "models/staging/raw/stg_grid_cases.sql: missing",
        "models/staging/raw/stg_hotline_cases.yml: differs from what the contracts say",
        "models/staging/raw/stg_parking_fines.sql: generated for a dataset that has no contract",
    ]
    checked = cityops("contracts", "sources")
    assert checked.returncode == 1 and COMMAND in checked.stderr

    write_sources()
    assert stale_files() == [] and not orphan.exists()


def test_a_new_contract_gets_its_staging_model_and_its_tests(project, wh, tmp_path):
    contracts = Path(project.parent / "expectations")
    (contracts / f"{LAMPS}.yml").write_text(CONTRACT, encoding="utf-8")
    wrote = cityops("contracts", "sources", "--write")
    assert wrote.returncode == 0, wrote.stderr

    model = project / "models" / "staging" / "raw" / f"stg_{LAMPS}.sql"
    docs = yaml.safe_load(model.with_suffix(".yml").read_text(encoding="utf-8"))["models"][0]
    assert "_batch_period as month_start" in model.read_text(encoding="utf-8"), "no month column: the batch's"
    assert "repaired = '是' as is_repaired" in model.read_text(encoding="utf-8")
    # each checks a row (the grain: a batch's month) at a time, so a build of new batches checks theirs only;
    # every column rule in one test (blank: reject is not_null, blank: null is not; 是/否 becomes a boolean)
    rules = {
        "not_null": ["month_start", "fault_id", "street", "kind", "is_repaired", "batch_id"],
        "accepted_values": {"kind": ["不亮", "常亮", "灯杆损坏"]},
        "relationships": [{"column": "street", "to": "ref('ref_streets')", "field": "street_name"}],
    }
    grain = {"unique_combination": {"arguments": {"columns": ["month_start", "fault_id"]}}}
    checked = {"name": f"meets_contract_stg_{LAMPS}", "arguments": rules}
    assert docs["data_tests"] == [scoped(grain), scoped({"meets_contract": checked})]
    assert all("data_tests" not in column for column in docs["columns"])
    assert docs["description"].startswith("One row per fault × month")
    vocabulary = (project / "macros" / "contract_vocabulary.sql").read_text(encoding="utf-8")
    assert f'"{LAMPS}": {{' in vocabulary and json.dumps(["不亮", "常亮", "灯杆损坏"], ensure_ascii=False) in vocabulary

    faults = tmp_path / "2025-03.csv"
    faults.write_text(FAULTS, encoding="utf-8")
    loaded = cityops("ingest", str(faults), "--dataset", LAMPS, "--period", "2025-03")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    built = _dbt(wh, project, "build", "--select", f"stg_{LAMPS} ref_streets", "--indirect-selection", "cautious")
    assert built.success, _failures(built)
    rows = query(
        wh, f"select fault_id, month_start::text, street, kind, is_repaired from staging.stg_{LAMPS} order by 1"
    )
    assert rows == [
        ("L-001", "2025-03-01", "华阳路街道", "不亮", True),
        ("L-002", "2025-03-01", "新泾镇", "灯杆损坏", False),
    ]

    # The department stops using a value the loaded month still holds: the regenerated
    # tests say so, by rule, column and value, instead of the value vanishing from the marts unnoticed.
    (contracts / f"{LAMPS}.yml").write_text(CONTRACT.replace(", 灯杆损坏]", "]"), encoding="utf-8")
    assert cityops("contracts", "sources", "--write").returncode == 0
    with pytest.raises(BuildNotPublished) as rebuilt:
        build(select=f"stg_{LAMPS}")
    [failed] = [line for line in str(rebuilt.value).splitlines() if line.lstrip().startswith("✗")]
    assert failed.lstrip().startswith(f"✗ test meets_contract_stg_{LAMPS}: Got 1 result")
    assert "rule=accepted_values, column_name=kind, value=灯杆损坏, n_rows=1" in str(rebuilt.value)


def test_a_model_naming_a_value_its_contract_lacks_does_not_compile(project, wh):
    model = project / "models" / "intermediate" / "closed_tickets.sql"
    model.write_text("select {{ contract_value('hotline_cases', 'status', '办结') }} as ticket_status\n")
    compiled = _dbt(wh, project, "compile", "--select", "closed_tickets")
    assert not compiled.success
    message = str(compiled.exception or "") + " ".join(str(r.message) for r in compiled.result or [])
    assert "'办结' is not a value of hotline_cases.status in expectations/hotline_cases.yml" in message
