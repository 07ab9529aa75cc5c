"""The dbt sources YAML, rendered from the contracts (never edited by hand).

`cityops contracts sources --write` regenerates it; a test fails when the committed file
differs from what the contracts say, so the dbt project cannot go stale.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cityops.contracts import Contract, all_contracts
from cityops.settings import dbt_project_dir

HEADER = "# Generated from expectations/*.yml by `cityops contracts sources --write`. Do not edit.\n"


def _column(col) -> dict:
    description = " | ".join(x for x in (col.description_zh or col.header, col.description_en) if x)
    if col.personal:
        description = f"{col.header}（HMAC-SHA256 密钥哈希）| keyed hash of {col.name}; never stored in clear"
    return {"name": col.stored_name, "description": description, "data_type": col.sql_type}


def _table(contract: Contract) -> dict:
    return {
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
            {
                "name": "audit",
                "schema": "audit",
                "description": "入库审计 | Load audit trail",
                "tables": [
                    {
                        "name": "ingest_batches",
                        "description": "每个上报文件一行 | One row per file received, with its status",
                    },
                    {
                        "name": "validation_results",
                        "description": "每批次每项检查一行 | One row per batch and data-quality check",
                    },
                ],
            },
        ],
    }
    return HEADER + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def sources_path() -> Path:
    return dbt_project_dir() / "models" / "staging" / "_sources.yml"


def write_sources() -> Path:
    path = sources_path()
    path.write_text(render_sources(), encoding="utf-8")
    return path


def sources_are_current() -> bool:
    path = sources_path()
    return path.exists() and path.read_text(encoding="utf-8") == render_sources()
