"""city_indicators: names, units, ranges and owners come from the indicator catalog."""

from __future__ import annotations

from cityops.reference import reference_rows
from tests.fixtures.db import query
from tests.fixtures.rows import FIRST_DATA_ROW, indicator, load


def test_catalog_values_are_checked_per_code_and_say_what_is_allowed(wh, tmp_path):
    river = indicator(0)
    assert river["indicator_code"] == "IND_RIVER_SURFACE_RATIO"
    rows = [
        river,
        {**indicator(1), "indicator_name": "绿道长度"},
        {**indicator(2), "value": "-5"},
        {**indicator(3), "unit": "个"},
        {**indicator(4), "department": "区房管局"},
        {**indicator(5), "indicator_code": "IND_NOPE"},
    ]
    outcome = load(tmp_path, "city_indicators", rows)
    assert outcome.status == "rejected"
    by_row = {p.row - FIRST_DATA_ROW: p for p in outcome.problems.errors}
    catalog = reference_rows("indicators")

    name = by_row[1]
    expected = catalog[rows[1]["indicator_code"]]["name_zh"]
    assert (name.column, name.rule) == ("指标名称", "reference_mismatch")
    assert f"“{expected}”" in name.message_zh and f"“{expected}”" in name.message_en
    assert rows[1]["indicator_code"] in name.message_zh and "指标目录" in name.message_zh

    value = by_row[2]
    entry = catalog[rows[2]["indicator_code"]]
    assert (value.column, value.rule) == ("数值", "outside_reference_range")
    assert f"{entry['value_min']}–{entry['value_max']}" in value.message_zh
    assert "indicator catalog" in value.message_en

    unit = by_row[3]
    assert (unit.column, unit.rule) == ("单位", "reference_mismatch")
    assert f"“{catalog[rows[3]['indicator_code']]['unit']}”" in unit.message_en

    owner = by_row[4]
    assert (owner.column, owner.rule) == ("填报部门", "reference_mismatch")
    assert catalog[rows[4]["indicator_code"]]["owner_department"] in owner.message_zh

    unknown = by_row[5]
    assert (unknown.column, unknown.rule) == ("指标编码", "not_in_reference")
    assert "IND_RIVER_SURFACE_RATIO" in unknown.message_zh
    assert set(by_row) == {1, 2, 3, 4, 5}


def test_district_scope_full_width_units_and_codes_in_any_case_load(wh, tmp_path):
    rows = [{**indicator(0), "indicator_code": "ind_river_surface_ratio", "scope": "长宁区"}, indicator(1)]
    outcome = load(tmp_path, "city_indicators", rows)
    assert outcome.status == "loaded", [p.message_en for p in outcome.problems.errors]
    stored = query(wh, "select indicator_code, scope, unit from raw.city_indicators order by _row")
    assert stored[0] == ("IND_RIVER_SURFACE_RATIO", "全区", "％")
