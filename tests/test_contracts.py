"""Every contract is complete enough to drive the reader, the gate, dbt and the docs."""

from __future__ import annotations

import pytest

from cityops.contracts import ContractError, all_contracts, parse_contract
from cityops.validate.history import CHECKS

CONTRACTS = list(all_contracts().values())


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.dataset)
def test_every_column_is_described_in_both_languages(contract):
    for col in contract.columns:
        assert col.description_zh and col.description_en, f"{contract.dataset}.{col.name}"
        assert "description_" not in col.description_zh + col.description_en, "a YAML quote swallowed a key"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.dataset)
def test_headers_keys_and_history_rules_are_consistent(contract):
    headers = [c.header for c in contract.columns]
    assert len(headers) == len(set(headers))
    assert contract.key and all(contract.column(k) for k in contract.key)
    assert contract.department and contract.title_zh and contract.title_en
    for rule in contract.history:
        assert rule.rule in CHECKS, f"{contract.dataset}: unknown history rule {rule.rule}"


def test_the_eleven_datasets_of_the_templates_are_there():
    assert {c.dataset for c in CONTRACTS} == {
        "garbage_sorting",
        "hotline_cases",
        "grid_cases",
        "water_quality",
        "river_chief_patrols",
        "overhead_lines",
        "housing_renovation",
        "elevator_retrofit",
        "illegal_construction",
        "city_indicators",
        "beautiful_blocks",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": [{"name": "x", "header": "X", "type": "colour"}]}, "type"),
        ({"columns": [{"name": "X Y", "header": "X", "type": "text"}]}, "snake_case"),
        ({"key": ["nope"]}, "not a column"),
        ({"surprise": 1}, "unknown keys"),
    ],
)
def test_a_broken_contract_says_what_to_fix(change, message):
    data = {"dataset": "demo", "columns": [{"name": "a", "header": "A", "type": "text"}], "key": ["a"], **change}
    with pytest.raises(ContractError, match=message):
        parse_contract(data)
