"""Every contract's rules, on real-shaped files, through the real reader, gate and warehouse.

A messy-but-valid month of every dataset loads; a bad month adds one spoiled copy of a
valid row per rule, and each must come back with its row, column, rule and both messages.
"""

from __future__ import annotations

import pytest

from cityops.contracts import dataset_ids, get_contract
from tests.fixtures.db import scalar
from tests.fixtures.rows import (
    FIRST_DATA_ROW,
    assert_each_spoil_is_named,
    load,
    spoiled_months,
    spoils,
    valid_rows,
)

DATASETS = dataset_ids()


def test_every_contract_has_valid_rows_and_a_spoil_per_rule():
    for dataset in DATASETS:
        contract = get_contract(dataset)
        rows = valid_rows(dataset)
        assert contract.row_count_min <= len(rows) <= (contract.row_count_max or len(rows)), dataset
        assert {c.name for c in contract.columns if not c.derive} == set(rows[0]), dataset
        ruled = {s.column for s in spoils(dataset)}
        checked = {c.name for c in contract.columns if c.required or c.min is not None or c.values or c.reference}
        assert checked - {c.name for c in contract.columns if c.type == "street" and contract.every_street} <= ruled


@pytest.mark.parametrize("dataset", DATASETS)
def test_a_messy_valid_month_loads(wh, tmp_path, dataset):
    rows = valid_rows(dataset)
    outcome = load(tmp_path, dataset, rows)
    assert outcome.status == "loaded", [p.message_en for p in outcome.problems.errors]
    assert not outcome.problems.warnings, [p.message_en for p in outcome.problems.warnings]
    assert scalar(wh, f"select count(*) from raw.{dataset}") == len(rows)
    assert scalar(wh, f"select min(_row) from raw.{dataset}") == FIRST_DATA_ROW
    current = scalar(wh, "select count(*) from audit.ingest_batches where dataset = %s and status = 'current'", dataset)
    assert current == 1


@pytest.mark.parametrize("dataset", DATASETS)
def test_each_rule_rejects_its_row_with_both_messages(wh, tmp_path, dataset):
    for number, (rows, at) in enumerate(spoiled_months(dataset)):
        outcome = load(tmp_path, dataset, rows, name=f"{dataset}-{number}")
        assert outcome.status == "rejected"
        assert scalar(wh, f"select count(*) from raw.{dataset}") == 0
        assert_each_spoil_is_named(outcome, at)


# A month with a fixed number of rows (ten streets) cannot take one more: that would be a row-count error too.
ROOM_FOR_ONE_MORE = [d for d in DATASETS if (get_contract(d).row_count_max or 10**9) > len(valid_rows(d))]


@pytest.mark.parametrize("dataset", ROOM_FOR_ONE_MORE)
def test_a_repeated_key_is_rejected(wh, tmp_path, dataset):
    rows = valid_rows(dataset)
    rows.append(dict(rows[0]))
    outcome = load(tmp_path, dataset, rows)
    assert outcome.status == "rejected"
    problems = [p for p in outcome.problems.errors if p.rule == "duplicate_key"]
    assert {p.row for p in problems} == {FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows) - 1}
    assert "重复" in problems[0].message_zh and "more than once" in problems[0].message_en


@pytest.mark.parametrize("dataset", DATASETS)
def test_a_missing_required_column_is_rejected(wh, tmp_path, dataset):
    contract = get_contract(dataset)
    dropped = next(c for c in contract.columns if c.required and c.type != "month")
    rows = [{k: v for k, v in row.items() if k != dropped.name} for row in valid_rows(dataset)]
    outcome = load(tmp_path, dataset, rows)
    assert outcome.status == "rejected"
    missing = [p for p in outcome.problems.errors if p.rule == "missing_column"]
    assert [p.column for p in missing] == [dropped.header]
    assert dropped.header in missing[0].message_zh and dropped.header in missing[0].message_en
