"""water_quality: the GB 3838-2002 class is computed and stored beside the reported one."""

from __future__ import annotations

import pytest

from cityops.contracts import get_contract
from cityops.extract.derive import gb3838_class
from cityops.extract.values import parse_water_class
from tests.fixtures.db import query
from tests.fixtures.rows import FIRST_DATA_ROW, load, valid_rows, water


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [("Ⅳ", "Ⅳ"), ("IV", "Ⅳ"), ("4类", "Ⅳ"), ("Ⅳ类", "Ⅳ"), ("劣V", "劣Ⅴ"), ("劣Ⅴ类", "劣Ⅴ"), ("ⅱ", "Ⅱ")],
)
def test_water_class_spellings(spelling, canonical):
    assert parse_water_class(spelling, get_contract("water_quality").column("water_class")) == (canonical, None)


@pytest.mark.parametrize(
    ("measurements", "expected"),
    [
        (("7.5", "2", "0.15", "0.02"), "Ⅰ"),  # every limit is inclusive
        (("7.4", "2", "0.15", "0.02"), "Ⅱ"),
        (("9", "1", "0.1", "0.21"), "Ⅳ"),  # the worst parameter wins
        (("1.9", "1", "0.1", "0.01"), "劣Ⅴ"),
        (("8", "1", "2.001", "0.01"), "劣Ⅴ"),
        ((None, "1", "0.1", "0.01"), None),
    ],
)
def test_gb3838_class(measurements, expected):
    assert gb3838_class(*measurements) == expected


def test_reported_and_computed_classes_are_stored_side_by_side(wh, tmp_path):
    outcome = load(tmp_path, "water_quality", valid_rows("water_quality"))
    assert outcome.status == "loaded"
    pairs = query(wh, "select water_class, computed_class from raw.water_quality order by _row")
    assert [reported for reported, _ in pairs[:7]] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ", "Ⅳ"]
    assert all(reported == computed for reported, computed in pairs)
    assert query(wh, "select distinct river from raw.water_quality where _row = %s", FIRST_DATA_ROW) == [("苏州河",)]


def test_a_class_that_differs_from_the_measurements_is_a_warning_and_loads(wh, tmp_path):
    rows = valid_rows("water_quality")
    rows[3]["water_class"] = "Ⅲ类"  # the measurements say Ⅳ
    outcome = load(tmp_path, "water_quality", rows)
    assert outcome.status == "loaded"
    assert not outcome.problems.errors
    [warning] = outcome.problems.warnings
    assert (warning.row, warning.column, warning.rule, warning.value) == (
        FIRST_DATA_ROW + 3,
        "水质类别",
        "class_mismatch",
        "Ⅲ",
    )
    assert "“Ⅳ”" in warning.message_zh and "GB 3838-2002" in warning.message_zh
    assert "“Ⅳ”" in warning.message_en
    stored = query(wh, "select water_class, computed_class from raw.water_quality where _row = %s", FIRST_DATA_ROW + 3)
    assert stored == [("Ⅲ", "Ⅳ")]
    report = query(wh, "select warnings from audit.ingest_batches where status = 'current'")
    assert report == [(1,)]


def test_an_unknown_river_is_refused_with_the_registry_listed(wh, tmp_path):
    rows = [water(0), {**water(1), "river": "黄浦江"}]
    outcome = load(tmp_path, "water_quality", rows)
    [problem] = outcome.problems.errors
    assert (problem.row, problem.column, problem.rule) == (FIRST_DATA_ROW + 1, "河道名称", "not_in_reference")
    for river in ("苏州河", "新泾港", "外环西河", "野奴泾", "朱家浜", "绥宁河", "机场河"):
        assert river in problem.message_zh and river in problem.message_en
    assert "河湖名录" in problem.message_zh and "water-body registry" in problem.message_en
