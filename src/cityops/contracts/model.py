"""The contract's vocabulary as pydantic models: every key a contract may hold, and its checks.

A key the models do not know, a type or a rule they do not name, is refused (`extra="forbid"`);
contracts/files.py turns the refusal into a ContractError that names the file, the column
and what to fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

TYPES = {"month", "street", "int", "decimal", "pct", "text", "enum", "datetime", "date", "water_class"}
BLANK_MODES = {"zero", "null", "reject"}
SEVERITIES = {"block", "warn"}
SUBMISSIONS = {"monthly", "snapshot"}
# The computed columns a contract may name (`derive:`); extract/derive.py implements each.
DERIVE_NAMES = {"gb3838_class"}
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
NAME = re.compile(r"[a-z][a-z0-9_]*")
# Options that name a row of a reference registry or another column, and the keys each takes.
_OPTION_KEYS = {
    "matches_reference": {"reference", "key_column", "field"},
    "reference_range": {"reference", "key_column", "min_field", "max_field"},
    "blank_when": {"column", "values"},
    "required_when": {"column", "values"},
}


class _Vocabulary(BaseModel):
    """A part of a contract: every key it may hold is a field; any other key is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Vocabulary):
    name: str
    header: str
    type: str
    aliases: tuple[str, ...] = ()
    scale: int | None = None
    unit: str | None = None
    min: int | float | None = None
    max: int | float | None = None
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
    rules: dict[str, dict[str, str]] = Field(default_factory=dict)  # check -> {rule: message id, severity}

    @field_validator("aliases", "values", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return tuple(str(v) for v in value) if isinstance(value, list | tuple) else value

    @field_validator("blank", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        value = "null" if value is None else value  # YAML reads `blank: null` as None; both mean NULL
        if value not in BLANK_MODES:
            raise ValueError(f"blank must be one of {sorted(BLANK_MODES)}")
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in TYPES:
            raise ValueError(f"type '{value}' is not one of {sorted(TYPES)}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError(f"column name '{value}' must be snake_case ASCII")
        return value

    @field_validator("derive")
    @classmethod
    def _derive(cls, value: str | None) -> str | None:
        if value and value not in DERIVE_NAMES:
            raise ValueError(f"derive '{value}' is not one of {sorted(DERIVE_NAMES)}")
        return value

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for check, override in value.items():
            if check not in COLUMN_RULES or set(override) - {"rule", "severity"}:
                raise ValueError(f"rules: '{check}' must be one of {sorted(COLUMN_RULES)} with rule/severity")
            if override.get("severity", "block") not in SEVERITIES:
                raise ValueError(f"severity must be one of {sorted(SEVERITIES)}")
        return value

    @model_validator(mode="after")
    def _options(self) -> Column:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum column needs 'values'")
        for option, needed in _OPTION_KEYS.items():
            given = getattr(self, option)
            if given is not None and set(given) != needed:
                raise ValueError(f"{option} needs exactly {sorted(needed)}")
        return self

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

    def references(self) -> list[str]:
        """Columns of the same contract that this column's options name."""
        named = [self.max_column, self.min_column, self.equals_column, *self.derive_from]
        for option in (self.matches_reference, self.reference_range):
            named.append((option or {}).get("key_column"))
        for option in (self.blank_when, self.required_when):
            named.append((option or {}).get("column"))
        return [name for name in named if name]


class HistoryRule(_Vocabulary):
    """A rule against last month (validate/history.py); its other keys are the rule's parameters."""

    rule: str
    column: str | None = None
    severity: str = "block"
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _params(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        if not raw.get("rule"):
            raise ValueError("every history rule needs 'rule'")
        named = {"rule", "column", "severity"}
        params = {k: v for k, v in raw.items() if k not in named}
        return {**{k: v for k, v in raw.items() if k in named}, "params": params}

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        if value not in SEVERITIES:
            raise ValueError(f"severity must be one of {sorted(SEVERITIES)}")
        return value


class RowCount(_Vocabulary):
    min: int = 1
    max: int | None = None


class Contract(_Vocabulary):
    dataset: str
    title_zh: str = ""
    title_en: str = ""
    department: str = ""
    grain: str = ""
    submission: str = "monthly"
    key: tuple[str, ...] = ()
    row_count: RowCount = RowCount()
    every_street: bool = False
    columns: tuple[Column, ...]
    history: tuple[HistoryRule, ...] = ()
    _path: Path | None = PrivateAttr(default=None)

    @field_validator("submission")
    @classmethod
    def _submission(cls, value: str) -> str:
        if value not in SUBMISSIONS:
            raise ValueError(f"submission must be one of {sorted(SUBMISSIONS)}")
        return value

    @field_validator("row_count", mode="before")
    @classmethod
    def _row_count(cls, value: Any) -> Any:
        return value or {}

    @model_validator(mode="after")
    def _names(self) -> Contract:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("column names repeat")
        for ref in [*self.key, *(r for c in self.columns for r in c.references())]:
            if ref not in names:
                raise ValueError(f"'{ref}' is not a column of this contract")
        return self

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def row_count_min(self) -> int:
        return self.row_count.min

    @property
    def row_count_max(self) -> int | None:
        return self.row_count.max

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
