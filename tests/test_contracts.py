"""Every contract is complete enough to drive the reader, the gate, dbt and the docs."""

from __future__ import annotations

import pytest

from cityops.contracts import DERIVE_NAMES, all_contracts, parse_contract
from cityops.errors import ContractError
from cityops.extract.derive import DERIVATIONS
from cityops.validate.history import CHECKS
from tests.fixtures.commands import ROOT

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


def test_every_dataset_departments_are_given_a_template_for_has_its_contract():
    """The blank templates in extract/templates/ are the datasets promised to the departments."""
    promised = {path.stem for path in (ROOT / "extract" / "templates").glob("*.xlsx")}
    assert promised == {c.dataset for c in CONTRACTS}


def test_every_derivation_a_contract_may_name_is_implemented():
    assert set(DERIVATIONS) == DERIVE_NAMES


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": [{"name": "x", "header": "X", "type": "colour"}]}, "type"),
        ({"columns": [{"name": "X Y", "header": "X", "type": "text"}]}, "snake_case"),
        ({"key": ["nope"]}, "not a column"),
        ({"surprise": 1}, "unknown keys"),
        (
            {"columns": [{"name": "a", "header": "A", "type": "text", "colour": "red"}]},
            r"column 1: unknown keys \['colour'\]",
        ),
        ({"columns": [{"name": "a", "header": "A", "type": "int", "min": "low"}]}, "'min' must be a whole number"),
        ({"columns": [{"name": "a", "header": "A", "type": "text", "derive": "magic"}]}, "derive 'magic'"),
        ({"history": [{"column": "a"}]}, "history rule 1: every history rule needs 'rule'"),
    ],
)
def test_a_broken_contract_says_what_to_fix(change, message):
    data = {"dataset": "demo", "columns": [{"name": "a", "header": "A", "type": "text"}], "key": ["a"], **change}
    with pytest.raises(ContractError, match=message):
        parse_contract(data)
