"""Contract files: `expectations/<dataset>.yml` (or CITYOPS_CONTRACTS_DIR), read and checked.

A contract that cannot drive a load is a ContractError in the words its author needs:
the file, the column (`… column 3`), and what to fix.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cityops.contracts.model import NAME, Contract
from cityops.errors import ContractError
from cityops.settings import contracts_dir

# libyaml's loader when PyYAML has it (its wheels do): every command reads every contract,
# and the pure-Python one spent 0.15 s of a build on eleven files
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "string": "text"}


def _complaint(error: dict[str, Any], extra: list[str]) -> str:
    """One pydantic error in the words a contract's author needs."""
    if error["type"] == "extra_forbidden":
        return f"unknown keys {sorted(extra)}"
    names = [part for part in error["loc"] if isinstance(part, str)]
    if names and names[0] in ("columns", "history"):
        names = names[1:]
    if error["type"] == "missing":
        return f"every {'column' if 'columns' in error['loc'] else 'contract'} needs '{names[-1]}'"
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    kind = _KINDS.get(error["type"].split("_")[0])
    field = names[0] if names else "contract"
    return f"'{field}' must be {kind}" if kind else f"'{field}': {error['msg']}"


def _where(where: str, loc: tuple) -> str:
    """`<file> column 3` for a column's error, `<file>` for the contract's own."""
    if len(loc) > 1 and loc[0] == "columns" and isinstance(loc[1], int):
        return f"{where} column {loc[1] + 1}"
    if len(loc) > 1 and loc[0] == "history" and isinstance(loc[1], int):
        return f"{where} history rule {loc[1] + 1}"
    return where


def parse_contract(data: dict[str, Any], path: Path | None = None) -> Contract:
    where = str(path or data.get("dataset", "contract"))
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        extra = [e for e in errors if e["type"] == "extra_forbidden"]
        first = extra[0] if extra else errors[0]
        container = first["loc"][:-1] if extra else first["loc"]
        keys = [str(e["loc"][-1]) for e in extra if e["loc"][:-1] == container]
        raise ContractError(f"{_where(where, first['loc'])}: {_complaint(first, keys)}") from None
    contract._path = path
    return contract


def load_contract(path: Path) -> Contract:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ContractError(f"{path}: a contract is a YAML mapping (dataset, columns, key, …)")
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
    if not NAME.fullmatch(dataset) or not path.is_file():
        raise KeyError(dataset)
    return load_contract(path)
