"""expectations/suites/ is what a reviewer reads: one rendered GX suite per contract, never stale."""

from __future__ import annotations

import json

import pytest

from cityops.contracts import all_contracts
from cityops.messages import TEMPLATES
from cityops.validate.suite_docs import render_suite, stale_suites, suite_path

DATASETS = list(all_contracts())


def test_no_suite_file_is_stale():
    assert not stale_suites(), "run `cityops contracts suites --write` and commit the result"


@pytest.mark.parametrize("dataset", DATASETS)
def test_each_contract_renders_a_readable_suite(dataset):
    contract = all_contracts()[dataset]
    document = json.loads(render_suite(contract))
    assert document["dataset"] == dataset and document["expectations"]
    assert suite_path(dataset).read_text(encoding="utf-8") == render_suite(contract)
    for item in document["expectations"]:
        assert item["severity"] in {"block", "warn"}
        assert item["rule"] in TEMPLATES, f"{item['check']}: rule {item['rule']} has no message for the clerk"
        assert item["message_zh"] and item["message_en"]
    assert "1900" not in json.dumps(document)  # the month is a placeholder, not a date
