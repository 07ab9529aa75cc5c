"""The dbt files the contracts already describe, rendered from them (never edited by hand).

For every contract `expectations/<dataset>.yml` the dbt project gets, generated:
  models/staging/raw/_raw__sources.yml   the raw table as a dbt source (all datasets), with its
                                         freshness by reporting month (transform/source_freshness.py);
  models/staging/raw/stg_<dataset>.sql   the staging model (current batches, renamed);
  models/staging/raw/stg_<dataset>.yml   its docs and the tests the contract implies;
  macros/contract_vocabulary.sql         the values the contracts name (enums, classes).

`cityops contracts sources --write` rewrites them (and removes those of a deleted
contract); a test fails when a committed file differs from what the contracts say, naming
the file, so the dbt project cannot drift from the contracts.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cityops.contracts import Contract, all_contracts
from cityops.settings import dbt_project_dir
from cityops.transform import source_freshness, staging, vocabulary

COMMAND = "cityops contracts sources --write"
MARK = f"Generated from the contracts by `{COMMAND}`. Do not edit."


def _header(path: Path, contract: Contract | None) -> str:
    origin = f"expectations/{contract.dataset}.yml" if contract else "expectations/*.yml"
    text = MARK.replace("the contracts", origin)
    if path.suffix == ".yml":
        return f"# {text}\n"
    if path.parent.name == "macros":
        return f"{{#- {text} -#}}\n"
    return f"-- {text}\n"


def _column(col) -> dict:
    return {"name": col.stored_name, "description": staging.column_description(col), "data_type": col.sql_type}


def _table(contract: Contract) -> dict:
    table = {
        "name": contract.dataset,
        "description": f"{contract.title_zh} | {contract.title_en}. {contract.department}. "
        f"Grain: {contract.grain}. Append-only: every batch received, current or not.",
        "columns": [
            {"name": "_batch_id", "description": "批次 | batch that delivered the row", "data_tests": ["not_null"]},
            *(_column(c) for c in contract.columns),
            {"name": "_row", "description": "源文件行号 | row number in the department's file"},
            {"name": "_source_file", "description": "源文件 | file the row came from"},
            {"name": "_loaded_at", "description": "入库时间 | when the batch was published"},
        ],
    }
    config = source_freshness.dbt_config(contract)
    if config:  # freshness by reporting month (cityops.transform.source_freshness)
        table["config"] = config
    return table


def render_sources() -> str:
    document = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "部门上报数据（原样、只增不改）| Department extracts as loaded, append-only",
                "tables": [_table(c) for c in all_contracts().values()],
            },
        ],
    }
    return _header(sources_path(), None) + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def sources_path() -> Path:
    return staging.staging_dir() / "_raw__sources.yml"


def generated_files() -> dict[Path, str]:
    """Every dbt file the contracts generate, with the text it must have."""
    contracts = list(all_contracts().values())
    files = {sources_path(): render_sources()}
    for contract in contracts:
        model, docs = staging.model_paths(contract.dataset)
        files[model] = _header(model, contract) + staging.render_sql(contract)
        files[docs] = _header(docs, contract) + staging.render_yml(contract)
    macro = vocabulary.macro_path()
    files[macro] = _header(macro, None) + vocabulary.render_macro(contracts)
    return files


def _orphans(expected: dict[Path, str]) -> list[Path]:
    """Generated files no contract asks for any more (a dataset whose contract was removed)."""
    folder = staging.staging_dir()
    candidates = sorted(folder.glob("stg_*")) if folder.is_dir() else []
    return [p for p in candidates if p not in expected and COMMAND in p.read_text(encoding="utf-8")[:300]]


def stale_files() -> list[str]:
    """What differs between the committed dbt files and the contracts, one line per file."""
    root = dbt_project_dir()
    expected = generated_files()
    problems = []
    for path, text in expected.items():
        if not path.exists():
            problems.append(f"{path.relative_to(root)}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path.relative_to(root)}: differs from what the contracts say")
    problems += [f"{p.relative_to(root)}: generated for a dataset that has no contract" for p in _orphans(expected)]
    return problems


def write_sources() -> Path:
    """Write every generated dbt file and remove the orphans; the folder of the staging models."""
    expected = generated_files()
    for orphan in _orphans(expected):
        orphan.unlink()
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return staging.staging_dir()


def sources_are_current() -> bool:
    return not stale_files()
