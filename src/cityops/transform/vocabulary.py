"""The values the contracts name, as a dbt macro: models and tests read them, never retype them.

`contract_vocabulary()` returns {dataset: {column: [values]}}: an enum's values, the water
classes of a water_class column, and the district total (全区) of a street column that
accepts it. The hand-written macros beside it (`contract_value`, `contract_values`) turn
that into SQL literals and stop the build at compile time when a model names a value the
contract does not have, so renaming an enum value in a contract cannot silently empty a
mart's filter.
"""

from __future__ import annotations

import json
from pathlib import Path

from cityops.contracts import Contract
from cityops.reference import DISTRICT
from cityops.settings import dbt_project_dir
from cityops.transform.staging import WATER_CLASSES


def macro_path() -> Path:
    return dbt_project_dir() / "macros" / "contract_vocabulary.sql"


def named_values(contract: Contract) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for col in contract.columns:
        if col.type == "water_class":
            values[col.name] = list(WATER_CLASSES)
        elif col.values:
            values[col.name] = list(col.values)
        elif col.allow_district:
            values[col.name] = [DISTRICT]
    return values


def _literal(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_macro(contracts: list[Contract]) -> str:
    lines = []
    for contract in contracts:
        if named := named_values(contract):
            lines.append(f"        {_literal(contract.dataset)}: {{")
            lines += [f"            {_literal(column)}: {_literal(values)}," for column, values in named.items()]
            lines.append("        },")
    return (
        "{#- dataset -> column -> the values its contract names (enum values, water classes, 全区). -#}\n"
        "{% macro contract_vocabulary() -%}\n"
        "    {{ return({\n" + "\n".join(lines) + "\n    }) }}\n"
        "{%- endmacro %}\n"
    )
