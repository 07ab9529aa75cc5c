"""A dataset's dbt staging model and its yml, rendered from the dataset's contract.

The staging model is the contract's columns as the marts read them: the current batch of
each month (macro `current_rows`), renamed only where the contract already says what a
column is:
  period                  -> month_start (a contract without one gets its batch's month)
  a personal column       -> <name>_hash (only the keyed hash is ever stored)
  an enum of 是/否         -> is_<name>, a boolean
  _batch_id, _loaded_at   -> batch_id, loaded_at
Every other column keeps the contract's name: the marts give it its business name.

The yml documents each column in both languages (the contract's descriptions) and tests
what the contract promises, in two tests: `meets_contract` (tests/generic/meets_contract.sql)
checks every column rule in one query, `not_null` where a blank is rejected,
`accepted_values` from an enum's values and the water classes, `relationships` to the seed
registry a column names; `unique_combination` checks the grain (the month and the
contract's key). One query, not a dbt node per rule and column: each node costs a build
~20 ms of dbt's own work, and they were most of a month's build.

These tests read one row (or, for a file without a month column, one batch's month) at a
time, so a build of new batches tests only those batches' rows (`where: __new_batches__`,
macros/new_batches.sql): the rows of earlier batches passed the same tests when they came.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cityops.contracts import Column, Contract
from cityops.extract.values import WATER_CLASSES
from cityops.reference import REGISTRIES
from cityops.settings import dbt_project_dir

YES, NO = "是", "否"
MONTH = "month_start"
MONTH_DESCRIPTION = "统计月份（月初日期）| reporting month, as its first day"
BATCH_MONTH_DESCRIPTION = (
    "统计月份（批次所属月份，月初日期）| reporting month: the month of the batch, as its first day"
)


NEW_BATCHES = "__new_batches__"  # macros/new_batches.sql


def scoped(test: str | dict[str, Any]) -> dict[str, Any]:
    """A test that checks the rows of new batches only (a full build checks every row)."""
    if isinstance(test, str):
        return {test: {"config": {"where": NEW_BATCHES}}}
    ((name, body),) = test.items()
    return {name: {**body, "config": {"where": NEW_BATCHES}}}


@dataclass(frozen=True)
class Rules:
    """A staged column's rules, as meets_contract's arguments."""

    not_null: bool = False
    accepted_values: list[str] = field(default_factory=list)
    relationships: list[dict[str, str]] = field(default_factory=list)  # {to, field}


@dataclass(frozen=True)
class StagedColumn:
    name: str
    expression: str  # SQL over the macro current_rows' output
    description: str
    rules: Rules = Rules()


def model_name(dataset: str) -> str:
    return f"stg_{dataset}"


def staging_dir() -> Path:
    """Where the generated staging models live: dbt's staging folder of the `raw` source."""
    return dbt_project_dir() / "models" / "staging" / "raw"


def model_paths(dataset: str) -> tuple[Path, Path]:
    """The staging model of a dataset and its yml (what `cityops contracts sources --write` writes)."""
    folder = staging_dir()
    return folder / f"{model_name(dataset)}.sql", folder / f"{model_name(dataset)}.yml"


def column_description(col: Column) -> str:
    if col.personal:
        return f"{col.header}（HMAC-SHA256 密钥哈希）| keyed hash of {col.name}; never stored in clear"
    return " | ".join(x for x in (col.description_zh or col.header, col.description_en) if x)


def is_yes_no(col: Column) -> bool:
    return col.type == "enum" and set(col.values) == {YES, NO}


def takes_batch_month(contract: Contract) -> bool:
    """A file without a month column (tickets, cases, a register) belongs to its batch's month."""
    return not any(c.name == "period" for c in contract.columns)


def staged_name(col: Column) -> str:
    if col.name == "period":
        return MONTH
    if is_yes_no(col):
        return f"is_{col.name}"
    return col.stored_name


def _expression(col: Column) -> str:
    if is_yes_no(col):
        return f"{col.stored_name} = '{YES}'"
    return col.stored_name


def _rules(col: Column) -> Rules:
    values = WATER_CLASSES if col.type == "water_class" else col.values
    relationships = []
    if col.type == "street" and not col.allow_district:
        relationships.append({"to": "ref('ref_streets')", "field": "street_name"})
    if col.reference:
        seed, key = REGISTRIES[col.reference]
        relationships.append({"to": f"ref('{seed}')", "field": key})
    return Rules(
        not_null=col.required and not col.optional,
        accepted_values=list(values) if values and not is_yes_no(col) else [],
        relationships=relationships,
    )


def staged_columns(contract: Contract) -> list[StagedColumn]:
    """The staging model's columns, in order: what each is, where it comes from, what is tested."""
    columns = []
    if takes_batch_month(contract):
        columns.append(StagedColumn(MONTH, "_batch_period", BATCH_MONTH_DESCRIPTION, Rules(not_null=True)))
    for col in contract.columns:
        description = MONTH_DESCRIPTION if col.name == "period" else column_description(col)
        columns.append(StagedColumn(staged_name(col), _expression(col), description, _rules(col)))
    columns.append(StagedColumn("batch_id", "_batch_id", "批次 | batch that delivered the row", Rules(not_null=True)))
    columns.append(StagedColumn("loaded_at", "_loaded_at", "入库时间 | when the batch was published"))
    return columns


def grain(contract: Contract) -> list[str]:
    """The columns no two rows of the staging model share: the month, then the contract's key."""
    names = [MONTH] + [staged_name(contract.column(k)) for k in contract.key]
    return list(dict.fromkeys(names))


def grain_test(contract: Contract) -> dict[str, Any]:
    """Unique on the grain. A file without a month column takes its batch's month: one batch
    per month, so the rows of new batches cannot clash with earlier ones and only they are checked."""
    test = {"unique_combination": {"arguments": {"columns": grain(contract)}}}
    return scoped(test) if takes_batch_month(contract) else test


def contract_test(contract: Contract) -> dict[str, Any]:
    """meets_contract with every column's rules, checking the rows of new batches only."""
    columns = staged_columns(contract)
    arguments: dict[str, Any] = {
        "not_null": [c.name for c in columns if c.rules.not_null],
        "accepted_values": {c.name: c.rules.accepted_values for c in columns if c.rules.accepted_values},
        "relationships": [{"column": c.name, **r} for c in columns for r in c.rules.relationships],
    }
    # named, else dbt names it after every argument (a few hundred characters)
    test = {
        "name": f"meets_contract_{model_name(contract.dataset)}",
        "arguments": {k: v for k, v in arguments.items() if v},
    }
    return scoped({"meets_contract": test})


def _grain_words(contract: Contract) -> str:
    return contract.grain if "month" in contract.grain else f"{contract.grain} × month"


def render_sql(contract: Contract) -> str:
    selected = []
    for col in staged_columns(contract):
        same = col.expression == col.name
        selected.append(f"        {col.expression}{'' if same else f' as {col.name}'}")
    about = f"One row per {_grain_words(contract)} of the current batches: {contract.title_en}."
    if takes_batch_month(contract):
        about += " The file has no month column: a row belongs to its batch's month, so a corrected month replaces"
        about += " exactly its own rows."
    return (
        "".join(f"-- {line}\n" for line in textwrap.wrap(about, 96)) + "with\n\n"
        "source as (\n"
        f"    {{{{ current_rows('{contract.dataset}') }}}}\n"
        "),\n\n"
        "renamed as (\n"
        "    select\n" + ",\n".join(selected) + "\n"
        "    from source\n"
        ")\n\n"
        "select * from renamed\n"
    )


def render_yml(contract: Contract) -> str:
    model = {
        "name": model_name(contract.dataset),
        "description": f"One row per {_grain_words(contract)}, current batches only. "
        f"{contract.title_zh} | {contract.title_en} ({contract.department}): the contract's columns, "
        "named for the marts; raw keeps every batch received.",
        "data_tests": [grain_test(contract), contract_test(contract)],
        "columns": [{"name": col.name, "description": col.description} for col in staged_columns(contract)],
    }
    return yaml.safe_dump({"version": 2, "models": [model]}, allow_unicode=True, sort_keys=False, width=120)
