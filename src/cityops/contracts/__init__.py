"""Dataset contracts: one YAML file per department extract, read into typed, validated objects.

The contract is the single place a dataset's schema is written (`expectations/<id>.yml`,
or the folder CITYOPS_CONTRACTS_DIR names). The reader, the Great Expectations gate, the
raw table DDL, the dbt sources, the DAGs and the blank template are all derived from it,
so adding a dataset is adding a file. The models (contracts/model.py) are its vocabulary: a
key they do not know, a type or a rule they do not name, is a ContractError that says
which file, which column and what to fix.
"""

from cityops.contracts.files import all_contracts, dataset_ids, get_contract, load_contract, parse_contract
from cityops.contracts.model import (
    BLANK_MODES,
    COLUMN_RULES,
    DERIVE_NAMES,
    SEVERITIES,
    SUBMISSIONS,
    TYPES,
    Column,
    Contract,
    HistoryRule,
)

__all__ = [
    "BLANK_MODES",
    "COLUMN_RULES",
    "DERIVE_NAMES",
    "SEVERITIES",
    "SUBMISSIONS",
    "TYPES",
    "Column",
    "Contract",
    "HistoryRule",
    "all_contracts",
    "dataset_ids",
    "get_contract",
    "load_contract",
    "parse_contract",
]
