"""Dataset contracts: one YAML file per department extract, read into typed objects.

The contract is the single place a dataset's schema is written (`expectations/<id>.yml`).
The reader, the Great Expectations gate, the raw table DDL, the dbt sources and the
blank template are all derived from it, so adding a dataset is adding a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cityops.settings import contracts_dir

TYPES = {"month", "street", "int", "decimal", "pct", "text", "enum", "datetime", "date", "water_class"}
BLANK_MODES = {"zero", "null", "reject"}
SEVERITIES = {"block", "warn"}
_COLUMN_KEYS = {
    "name",
    "header",
    "aliases",
    "type",
    "scale",
    "unit",
    "min",
    "max",
    "min_exclusive",
    "max_column",
    "min_column",
    "blank",
    "equals_period",
    "values",
    "personal",
    "inside_period",
    "reference",
    "allow_district",
    "description_zh",
    "description_en",
    "max_length",
    "derive",
    "derive_from",
    "equals_column",
    "matches_reference",
    "reference_range",
    "blank_when",
    "required_when",
    "rules",
}
# The checks a column's options produce; `rules:` may rename one (its message) or set its severity.
COLUMN_RULES = {
    "required",
    "min_value",
    "above_min",
    "max_value",
    "not_in_list",
    "period_mismatch",
    "outside_period",
    "not_greater_than_column",
    "not_less_than_column",
    "not_equal_to_column",
    "reference_mismatch",
    "outside_reference_range",
    "must_be_blank_when",
    "required_when",
}
SUBMISSIONS = {"monthly", "snapshot"}
_CONTRACT_KEYS = {
    "dataset",
    "title_zh",
    "title_en",
    "department",
    "grain",
    "submission",
    "key",
    "row_count",
    "every_street",
    "columns",
    "history",
    "rules",
}


class ContractError(ValueError):
    """A contract file that cannot drive a load; says which file and what to fix."""


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    type: str
    aliases: tuple[str, ...] = ()
    scale: int | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_column: str | None = None  # value <= that column of the same row
    min_column: str | None = None  # value >= that column of the same row
    blank: str = "reject"  # what an empty cell means: reject it, NULL, or zero
    equals_period: bool = False
    values: tuple[str, ...] = ()
    personal: bool = False  # stored only as a keyed hash
    inside_period: bool = False
    reference: str | None = None  # a reference list the value must be in
    allow_district: bool = False  # a street column that also accepts 全区
    max_length: int | None = None
    optional: bool = False  # the column may be left out of the file altogether
    description_zh: str = ""
    description_en: str = ""
    # Computed, not read: a named derivation (extract/derive.py) of other columns of the row.
    derive: str | None = None
    derive_from: tuple[str, ...] = ()
    equals_column: str | None = None  # value = that column of the same row
    # {reference, key_column, field}: value = the reference row's field, found by key_column's value
    matches_reference: dict[str, str] | None = None
    # {reference, key_column, min_field, max_field}: value inside that reference row's range
    reference_range: dict[str, str] | None = None
    blank_when: dict[str, Any] | None = None  # {column, values}: empty while that column is one of values
    required_when: dict[str, Any] | None = None  # {column, values}: filled when that column is one of values
    rules: dict[str, dict[str, str]] = field(default_factory=dict)  # check -> {rule: message id, severity}

    @property
    def required(self) -> bool:
        return self.blank == "reject" and not self.derive

    def rule(self, check: str) -> tuple[str, str]:
        """(rule name, severity) of one of this column's checks, after the contract's `rules:`."""
        override = self.rules.get(check, {})
        return override.get("rule", check), override.get("severity", "block")

    @property
    def stored_name(self) -> str:
        """Personal fields never reach the warehouse in clear: only their hash does."""
        return f"{self.name}_hash" if self.personal else self.name

    @property
    def sql_type(self) -> str:
        if self.personal:
            return "text"
        return {
            "month": "date",
            "date": "date",
            "datetime": "timestamptz",
            "int": "bigint",
            "decimal": f"numeric(18,{self.scale})" if self.scale is not None else "numeric",
            "pct": "numeric(9,4)",
        }.get(self.type, "text")


@dataclass(frozen=True)
class HistoryRule:
    rule: str
    column: str | None = None
    severity: str = "block"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Contract:
    dataset: str
    title_zh: str
    title_en: str
    department: str
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    submission: str = "monthly"
    row_count_min: int = 1
    row_count_max: int | None = None
    every_street: bool = False
    history: tuple[HistoryRule, ...] = ()
    path: Path | None = None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def raw_table(self) -> str:
        return f"raw.{self.dataset}"

    @property
    def personal_columns(self) -> list[Column]:
        return [c for c in self.columns if c.personal]

    @property
    def derived_columns(self) -> list[Column]:
        return [c for c in self.columns if c.derive]


def _column(raw: dict[str, Any], where: str) -> Column:
    unknown = set(raw) - _COLUMN_KEYS
    if unknown:
        raise ContractError(f"{where}: unknown keys {sorted(unknown)}")
    for needed in ("name", "header", "type"):
        if needed not in raw:
            raise ContractError(f"{where}: every column needs '{needed}'")
    if raw["type"] not in TYPES:
        raise ContractError(f"{where}: type '{raw['type']}' is not one of {sorted(TYPES)}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", raw["name"]):
        raise ContractError(f"{where}: column name '{raw['name']}' must be snake_case ASCII")
    if "blank" in raw and raw["blank"] is None:
        raw = {**raw, "blank": "null"}  # YAML reads `blank: null` as None; both mean "empty is NULL"
    if raw.get("blank", "reject") not in BLANK_MODES:
        raise ContractError(f"{where}: blank must be one of {sorted(BLANK_MODES)}")
    if raw["type"] == "enum" and not raw.get("values"):
        raise ContractError(f"{where}: an enum column needs 'values'")
    fields = dict(raw)
    fields["aliases"] = tuple(str(a) for a in raw.get("aliases", ()))
    fields["values"] = tuple(str(v) for v in raw.get("values", ()))
    fields["derive_from"] = tuple(raw.get("derive_from", ()))
    if raw.get("derive"):
        from cityops.extract.derive import DERIVATIONS

        if raw["derive"] not in DERIVATIONS:
            raise ContractError(f"{where}: derive '{raw['derive']}' is not one of {sorted(DERIVATIONS)}")
    for option, needed in (
        ("matches_reference", {"reference", "key_column", "field"}),
        ("reference_range", {"reference", "key_column", "min_field", "max_field"}),
        ("blank_when", {"column", "values"}),
        ("required_when", {"column", "values"}),
    ):
        if option in raw and set(raw[option]) != needed:
            raise ContractError(f"{where}: {option} needs exactly {sorted(needed)}")
    for check, override in (raw.get("rules") or {}).items():
        if check not in COLUMN_RULES or set(override) - {"rule", "severity"}:
            raise ContractError(f"{where}: rules: '{check}' must be one of {sorted(COLUMN_RULES)} with rule/severity")
        if override.get("severity", "block") not in SEVERITIES:
            raise ContractError(f"{where}: severity must be one of {sorted(SEVERITIES)}")
    return Column(**fields)


def _column_references(col: Column) -> list[str | None]:
    """Columns of the same contract that a column's options name."""
    return [
        col.max_column,
        col.min_column,
        col.equals_column,
        *col.derive_from,
        *((col.matches_reference or {}).get("key_column"), (col.reference_range or {}).get("key_column")),
        *((col.blank_when or {}).get("column"), (col.required_when or {}).get("column")),
    ]


def _history(raw: dict[str, Any], where: str) -> HistoryRule:
    raw = dict(raw)
    rule = raw.pop("rule", None)
    if not rule:
        raise ContractError(f"{where}: every history rule needs 'rule'")
    severity = raw.pop("severity", "block")
    if severity not in SEVERITIES:
        raise ContractError(f"{where}: severity must be one of {sorted(SEVERITIES)}")
    return HistoryRule(rule=rule, column=raw.pop("column", None), severity=severity, params=raw)


def parse_contract(data: dict[str, Any], path: Path | None = None) -> Contract:
    where = str(path or data.get("dataset", "contract"))
    unknown = set(data) - _CONTRACT_KEYS
    if unknown:
        raise ContractError(f"{where}: unknown keys {sorted(unknown)}")
    columns = tuple(_column(c, f"{where} column {i + 1}") for i, c in enumerate(data["columns"]))
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: column names repeat")
    key = tuple(data.get("key", ()))
    for ref in [*key, *(r for c in columns for r in _column_references(c))]:
        if ref and ref not in names:
            raise ContractError(f"{where}: '{ref}' is not a column of this contract")
    counts = data.get("row_count") or {}
    if data.get("submission", "monthly") not in SUBMISSIONS:
        raise ContractError(f"{where}: submission must be one of {sorted(SUBMISSIONS)}")
    return Contract(
        dataset=data["dataset"],
        title_zh=data.get("title_zh", ""),
        title_en=data.get("title_en", ""),
        department=data.get("department", ""),
        grain=data.get("grain", ""),
        columns=columns,
        key=key,
        submission=data.get("submission", "monthly"),
        row_count_min=int(counts.get("min", 1)),
        row_count_max=counts.get("max"),
        every_street=bool(data.get("every_street", False)),
        history=tuple(_history(h, where) for h in data.get("history", ())),
        path=path,
    )


def load_contract(path: Path) -> Contract:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML ({exc})") from exc
    contract = parse_contract(data, path)
    if contract.dataset != path.stem:
        raise ContractError(f"{path}: dataset '{contract.dataset}' must match the file name")
    return contract


@cache
def all_contracts() -> dict[str, Contract]:
    """Every dataset the warehouse knows, by id, in file-name order."""
    return {dataset: get_contract(dataset) for dataset in dataset_ids()}


def dataset_ids() -> list[str]:
    return [p.stem for p in sorted(contracts_dir().glob("*.yml"))]


@cache
def get_contract(dataset: str) -> Contract:
    """One dataset's contract; a broken contract of another dataset does not stop this one."""
    path = contracts_dir() / f"{dataset}.yml"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", dataset) or not path.is_file():
        raise KeyError(dataset)
    return load_contract(path)
