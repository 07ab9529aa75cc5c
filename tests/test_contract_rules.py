"""Every contract's rules, on real-shaped files, through the real reader, gate and warehouse.

Each dataset has a row maker: `make(i)` is the i-th valid row as a department fills it
(spelling variants included). A messy-but-valid month is `make(0..n)`; a bad month adds
one spoiled copy of a valid row per rule, and each must come back with its row, column,
rule and both messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cityops.contracts import all_contracts, get_contract
from cityops.pipeline import Outcome, ingest
from cityops.reference import reference_rows
from tests.conftest import scalar
from tests.extracts import STREETS, garbage_rows, write

FIRST_DATA_ROW = 4  # title, blank row, header
Row = dict[str, Any]
STATUS_CYCLE = ["已办结", "办理中", "退单", "已撤销"]


def _street(i: int) -> str:
    street = STREETS[i % 10]
    return street.removesuffix("街道") if i % 3 == 1 else street  # 华阳路 as often as 华阳路街道


def _at(i: int) -> dt.datetime:
    return dt.datetime(2025, 3, 1 + i % 28, 8 + i % 10, 5 * (i % 12))


def phone(i: int) -> str:
    digits = f"1391234{i:04d}"
    return [digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"+86-{digits}"][i % 3]


def hotline(i: int) -> Row:
    received = _at(i)
    status = "已办结" if i >= 100 else STATUS_CYCLE[i % 4]
    closed = received + dt.timedelta(days=1, hours=2) if status == "已办结" else None
    return {
        "ticket_id": f"RX2503{i:06d}",
        "received_at": received if i % 2 or i >= 100 else received.strftime("%Y/%m/%d %H:%M"),
        "channel": ["电话", "网站", "微信", "APP", "一网通办"][i % 5],
        "request_type": ["投诉", "求助", "咨询", "建议", "表扬"][i % 5],
        "category": "市容环境",
        "subcategory": "" if i % 4 == 3 else "占道经营",
        "street": "" if i % 7 == 6 else _street(i),  # callers from outside the district
        "address": f"长宁路{100 + i}号",
        "description": "门口有人占道经营，请处理",
        "caller_phone": phone(i),
        "handling_dept": "区城管执法局",
        "dispatched_at": received + dt.timedelta(minutes=30),
        "closed_at": closed,
        "status": status,
        "on_time": "" if status == "办理中" else "是",
        "satisfaction": "未评价" if i % 2 else "满意",
    }


def grid(i: int) -> Row:
    reported = _at(i)
    return {
        "case_id": f"WG2503{i:06d}",
        "source": ["网格巡查", "12345转办", "啄木鸟", "路长巡查", "社会诉求", "内部督查", "智能发现"][i % 7],
        "case_type": "部件" if i % 2 else "事件",
        "category": "街面秩序",
        "subcategory": "乱堆物堆料",
        "street": _street(i),
        "grid_code": f"31010500{i % 90:02d}",
        "lon": round(121.40 + (i % 5) / 100, 6),
        "lat": f"{31.20 + (i % 3) / 100:.6f}",
        "reported_at": reported,
        "dispatched_at": reported + dt.timedelta(minutes=20),
        "closed_at": None if i % 5 == 4 else reported + dt.timedelta(hours=30),
        "deadline_h": 48,
        "overdue": "否",
    }


# (DO, CODMn, NH3-N, TP) -> the class by GB 3838-2002, in the spellings departments use
WATER_SAMPLES = [
    ((8.0, 1.5, 0.1, 0.01), "Ⅰ类"),
    ((6.5, 3.5, 0.4, 0.08), "II"),
    ((5.5, 5.0, 0.9, 0.15), "Ⅲ"),
    ((4.0, 8.0, 1.2, 0.25), "4类"),
    ((2.5, 12.0, 1.8, 0.35), "Ⅴ类"),
    ((1.5, 16.0, 2.5, 0.5), "劣V"),
    ((4.2, 7.1, 1.31, 0.226), "IV"),
]
RIVERS = ["苏州河", "新泾港", "外环西河", "野奴泾", "朱家浜", "绥宁河", "机场河"]


def water(i: int) -> Row:
    (do, codmn, nh3n, tp), reported = WATER_SAMPLES[i % len(WATER_SAMPLES)]
    return {
        "period": ["2025-03", "2025年3月", "202503", "2025/3"][i % 4],
        "river": RIVERS[i % 7] if i % 5 else "苏州河长宁段",
        "section": f"断面{i}",
        "do_mg_l": do,
        "codmn_mg_l": f"{codmn:.2f}",
        "nh3n_mg_l": nh3n,
        "tp_mg_l": tp,
        "water_class": reported,
    }


def river_chief(i: int) -> Row:
    return {
        "period": "2025-03",
        "chief_name": f"河长{i}",
        "chief_level": ["区级", "街镇级", "民间河长"][i % 3],
        "river": RIVERS[i % 7],
        "patrols": 4 + i % 6,
        "issues_found": 3,
        "issues_resolved": 2 if i % 2 else "",
    }


def overhead(i: int, started: float = 2.0) -> Row:
    return {
        "period": "2025年3月",
        "project_id": f"JKX-{i:03d}",
        "road": f"道路{i}",
        "zone": "内环内" if i % 2 else "内环外",
        "planned_km": 3.5,
        "started_km": started,
        "completed_km": round(started / 2, 2),
        "merged_poles": "1,204" if i == 1 else 40 + i,
        "status": "施工中",
    }


def housing(i: int) -> Row:
    return {
        "period": "2025-03",
        "project_id": f"MLJY-{i:03d}",
        "estate": f"小区{i}",
        "street": _street(i),
        "kind": ["精品小区", "非成套改造", "里弄房屋修缮", "化粪池改造"][i % 4],
        "floor_area_m2": "12,345.6",
        "households": 120 + i,
        "started_on": dt.date(2025, 1, 10),
        "completed_on": "2025年3月20日" if i % 2 else "",
        "status": "已竣工" if i % 2 else "在建",
    }


ELEVATOR_STAGES = ["意见征询", "立项", "审批", "开工", "竣工", "投入运行"]


def elevator(i: int, stage: str | None = None) -> Row:
    return {
        "period": "2025-03",
        "elevator_id": f"JT-{i:04d}",
        "estate": f"小区{i}",
        "street": _street(i),
        "building": f"{i}号{1 + i % 3}单元",
        "stage": stage or ELEVATOR_STAGES[i % 6],
        "approved_on": "2024-06-01",
        "started_on": dt.date(2024, 9, 1),
        "completed_on": "" if i % 2 else "2025/2/28",
        "households": 12,
    }


def illegal(i: int) -> Row:
    return {
        "period": "2025-03",
        "case_id": f"WJ2025-{i:04d}",
        "street": _street(i),
        "kind": ["经营性违建", "居民自用违建", "工业仓储违建", "公共区域违建", "其他"][i % 5],
        "origin": "存量" if i % 3 else "新增",
        "area_m2": 35.5 + i,
        "found_on": "2025-03-02",
        "demolished_on": "2025-03-12" if i % 2 else "-",
        "status": "已拆除" if i % 2 else "整改中",
    }


REPORTED_INDICATORS = [k for k, row in reference_rows("indicators").items() if row["source"] == "city_indicators"]


def indicator(i: int) -> Row:
    code = REPORTED_INDICATORS[i % len(REPORTED_INDICATORS)]
    row = reference_rows("indicators")[code]
    low, high = float(row["value_min"]), float(row["value_max"])
    return {
        "period": "2025-03",
        "indicator_code": code,
        "indicator_name": row["name_zh"],
        "scope": "全区" if i < len(REPORTED_INDICATORS) else _street(i),
        "value": f"{low + (high - low) * 0.4:.2f}",
        "unit": "％" if row["unit"] == "%" else row["unit"],  # a full-width percent sign
        "department": row["owner_department"],
    }


def block(i: int) -> Row:
    return {
        "block": f"美丽街区{i}",
        "street": _street(i),
        "area_ha": 12.5 + i,
        "year_built": 2019 + i % 6,
        "kind": "示范街区" if i % 4 == 0 else "美丽街区",
    }


def garbage(i: int) -> Row:
    names = [c.name for c in get_contract("garbage_sorting").columns]
    return dict(zip(names, garbage_rows()[i % 10], strict=True))


# dataset -> (row maker, rows in a valid month, how the department saves it)
MAKERS: dict[str, tuple[Callable[[int], Row], int, dict[str, Any]]] = {
    "garbage_sorting": (garbage, 10, {"suffix": ".xlsx"}),
    "hotline_cases": (hotline, 40, {"suffix": ".csv", "encoding": "gbk"}),
    "grid_cases": (grid, 30, {"suffix": ".csv", "encoding": "utf-8-sig", "delimiter": "\t"}),
    "water_quality": (water, 14, {"suffix": ".xlsx"}),
    "river_chief_patrols": (river_chief, 9, {"suffix": ".xls"}),
    "overhead_lines": (overhead, 8, {"suffix": ".xlsx"}),
    "housing_renovation": (housing, 8, {"suffix": ".csv", "encoding": "gb18030"}),
    "elevator_retrofit": (elevator, 12, {"suffix": ".xlsx"}),
    "illegal_construction": (illegal, 10, {"suffix": ".csv", "encoding": "utf-8"}),
    "city_indicators": (indicator, 20, {"suffix": ".xlsx"}),
    "beautiful_blocks": (block, 8, {"suffix": ".xlsx"}),
}


def _header(dataset: str, names: list[str]) -> list[str]:
    """The template's headers, with a few honest variants: half-width brackets, a line break."""
    header = [get_contract(dataset).column(n).header for n in names]
    header = [h.replace("（", " (").replace("）", ")") if i % 3 == 1 else h for i, h in enumerate(header)]
    header[-1] = header[-1][:1] + "\n" + header[-1][1:]
    return header


def sheet(dataset: str, rows: list[Row]) -> list[list[Any]]:
    contract = get_contract(dataset)
    names = [c.name for c in contract.columns if not c.derive and c.name in rows[0]]
    lines: list[list[Any]] = [[f"长宁区2025年3月{contract.title_zh}"], []]
    lines.append(_header(dataset, names))
    lines += [["" if row.get(n) is None else row.get(n) for n in names] for row in rows]
    lines.append(["合计", *[""] * (len(names) - 1)])
    lines.append([f"填报单位：{contract.department}    填报人：李华    联系电话：021-62520000"])
    return lines


def load(tmp_path: Path, dataset: str, rows: list[Row], period: str = "2025-03", name: str = "") -> Outcome:
    _, _, style = MAKERS[dataset]
    style = dict(style)
    suffix = style.pop("suffix")
    folder = tmp_path / (name or dataset)
    folder.mkdir(parents=True, exist_ok=True)
    path = write(folder / f"{period}{suffix}", sheet(dataset, rows), **style)
    return ingest(path, dataset, period)


def valid_rows(dataset: str) -> list[Row]:
    make, count, _ = MAKERS[dataset]
    return [make(i) for i in range(count)]


def test_every_contract_has_a_row_maker():
    assert set(MAKERS) == set(all_contracts())


@pytest.mark.parametrize("dataset", sorted(MAKERS))
def test_a_messy_valid_month_loads(wh, tmp_path, dataset):
    rows = valid_rows(dataset)
    outcome = load(tmp_path, dataset, rows)
    assert outcome.status == "loaded", [p.message_en for p in outcome.problems.errors]
    assert not outcome.problems.warnings, [p.message_en for p in outcome.problems.warnings]
    assert scalar(wh, f"select count(*) from raw.{dataset}") == len(rows)
    assert scalar(wh, f"select min(_row) from raw.{dataset}") == FIRST_DATA_ROW
    current = scalar(wh, "select count(*) from audit.ingest_batches where dataset = %s and status = 'current'", dataset)
    assert current == 1


# dataset -> [(changes to a valid row, the column flagged, rule, severity)]; a callable change
# is applied to the valid row (for values that depend on another column).
def _before(column: str, **delta: int) -> Callable[[Row], Any]:
    return lambda row: row[column] - dt.timedelta(**delta)


SPOILS: dict[str, list[tuple[dict[str, Any], str, str]]] = {
    "garbage_sorting": [
        ({"period": "2025-02"}, "period", "period_mismatch"),
        ({"wet_t": -3}, "wet_t", "min_value"),
        ({"resource_utilization_pct": "120%"}, "resource_utilization_pct", "max_value"),
        ({"compliant_residential_areas": 999}, "compliant_residential_areas", "not_greater_than_column"),
        ({"residential_areas": "七十"}, "residential_areas", "wrong_type"),
    ],
    "hotline_cases": [
        (
            {"received_at": "2025-04-01 00:00:00", "dispatched_at": None, "closed_at": None, "status": "已撤销"},
            "received_at",
            "outside_period",
        ),
        ({"received_at": "昨天下午"}, "received_at", "wrong_type"),
        ({"channel": "传真"}, "channel", "not_in_list"),
        ({"request_type": "抱怨"}, "request_type", "not_in_list"),
        ({"category": ""}, "category", "required"),
        ({"street": "徐家汇街道"}, "street", "unknown_street"),
        ({"dispatched_at": _before("received_at", hours=1)}, "dispatched_at", "not_less_than_column"),
        ({"closed_at": _before("dispatched_at", minutes=1)}, "closed_at", "not_less_than_column"),
        ({"closed_at": None}, "closed_at", "required_when"),
        ({"status": "办理中", "on_time": ""}, "closed_at", "must_be_blank_when"),
        ({"status": "办理中", "closed_at": None}, "on_time", "must_be_blank_when"),
        ({"status": "处理中"}, "status", "not_in_list"),
        ({"on_time": "按时"}, "on_time", "not_in_list"),
        ({"satisfaction": "很好"}, "satisfaction", "not_in_list"),
    ],
    "grid_cases": [
        ({"source": "巡逻"}, "source", "not_in_list"),
        ({"case_type": "其他"}, "case_type", "not_in_list"),
        ({"category": ""}, "category", "required"),
        ({"street": "徐家汇街道"}, "street", "unknown_street"),
        ({"lon": 120.1}, "lon", "min_value"),
        ({"lat": 32.5}, "lat", "max_value"),
        ({"reported_at": "2025-02-28 23:59:00"}, "reported_at", "outside_period"),
        ({"dispatched_at": _before("reported_at", hours=2)}, "dispatched_at", "not_less_than_column"),
        ({"closed_at": _before("dispatched_at", hours=1)}, "closed_at", "not_less_than_column"),
        ({"deadline_h": 0}, "deadline_h", "above_min"),
        ({"overdue": "超期"}, "overdue", "not_in_list"),
    ],
    "water_quality": [
        ({"period": "2025-04"}, "period", "period_mismatch"),
        ({"river": "黄浦江"}, "river", "not_in_reference"),
        ({"section": ""}, "section", "required"),
        ({"do_mg_l": 25}, "do_mg_l", "max_value"),
        ({"codmn_mg_l": -1}, "codmn_mg_l", "min_value"),
        ({"nh3n_mg_l": 60, "water_class": "劣V"}, "nh3n_mg_l", "max_value"),
        ({"tp_mg_l": 11, "water_class": "劣V"}, "tp_mg_l", "max_value"),
        ({"water_class": "VI"}, "water_class", "not_in_list"),
        ({"water_class": "Ⅱ"}, "water_class", "class_mismatch"),
    ],
    "river_chief_patrols": [
        ({"period": "2025-02"}, "period", "period_mismatch"),
        ({"chief_level": "市级"}, "chief_level", "not_in_list"),
        ({"river": "黄浦江"}, "river", "not_in_reference"),
        ({"patrols": -1}, "patrols", "min_value"),
        ({"issues_found": "三"}, "issues_found", "wrong_type"),
        ({"issues_resolved": 5}, "issues_resolved", "resolved_exceeds_found"),
    ],
    "overhead_lines": [
        ({"zone": "外环外"}, "zone", "not_in_list"),
        ({"planned_km": 0, "started_km": 0, "completed_km": 0}, "planned_km", "above_min"),
        ({"started_km": 4.0}, "started_km", "not_greater_than_column"),
        ({"completed_km": 2.5}, "completed_km", "not_greater_than_column"),
        ({"merged_poles": -2}, "merged_poles", "min_value"),
        ({"status": "已完工"}, "status", "not_in_list"),
    ],
    "housing_renovation": [
        ({"street": "徐家汇街道"}, "street", "unknown_street"),
        ({"kind": "旧改"}, "kind", "not_in_list"),
        ({"floor_area_m2": 0}, "floor_area_m2", "above_min"),
        ({"households": -1}, "households", "min_value"),
        ({"started_on": "三月"}, "started_on", "wrong_type"),
        ({"completed_on": "2024-12-31"}, "completed_on", "not_less_than_column"),
        ({"status": "完成"}, "status", "not_in_list"),
    ],
    "elevator_retrofit": [
        ({"street": "徐家汇街道"}, "street", "unknown_street"),
        ({"stage": "施工"}, "stage", "not_in_list"),
        ({"started_on": "2024-05-01"}, "started_on", "not_less_than_column"),
        ({"completed_on": "2024-08-01"}, "completed_on", "not_less_than_column"),
        ({"households": 0}, "households", "above_min"),
        ({"elevator_id": ""}, "elevator_id", "required"),
    ],
    "illegal_construction": [
        ({"street": "徐家汇街道"}, "street", "unknown_street"),
        ({"kind": "违章"}, "kind", "not_in_list"),
        ({"origin": "历史"}, "origin", "not_in_list"),
        ({"area_m2": 0}, "area_m2", "above_min"),
        ({"found_on": ""}, "found_on", "required"),
        ({"demolished_on": "2025-03-01"}, "demolished_on", "not_less_than_column"),
        ({"status": "已处理"}, "status", "not_in_list"),
    ],
    "city_indicators": [
        ({"indicator_code": "IND_UNKNOWN"}, "indicator_code", "not_in_reference"),
        ({"indicator_name": "河道水面率"}, "indicator_name", "reference_mismatch"),
        ({"value": 1e9}, "value", "outside_reference_range"),
        ({"unit": "吨"}, "unit", "reference_mismatch"),
        ({"department": "区城运中心"}, "department", "reference_mismatch"),
        ({"scope": "徐汇区"}, "scope", "unknown_street"),
    ],
    "beautiful_blocks": [
        ({"street": "徐家汇街道"}, "street", "unknown_street"),
        ({"area_ha": 0}, "area_ha", "above_min"),
        ({"year_built": 2017}, "year_built", "min_value"),
        ({"year_built": 2031}, "year_built", "max_value"),
        ({"kind": "精品街区"}, "kind", "not_in_list"),
    ],
}
WARNINGS = {"class_mismatch", "resolved_exceeds_found"}


def spoiled(dataset: str, changes: dict[str, Any], serial: int) -> Row:
    make = MAKERS[dataset][0]
    row = make(100 + serial)
    for column, change in changes.items():
        row[column] = change(row) if callable(change) else change
    return row


def test_every_dataset_has_spoiled_rows():
    assert set(SPOILS) == set(all_contracts())


@pytest.mark.parametrize("dataset", sorted(SPOILS))
def test_each_rule_rejects_its_row_with_both_messages(wh, tmp_path, dataset):
    good = valid_rows(dataset)
    cases = SPOILS[dataset]
    if dataset == "garbage_sorting":  # ten streets, one row each: spoil rows in place
        rows = [dict(r) for r in good]
        for serial, (changes, _, _) in enumerate(cases):
            rows[serial].update(changes)
        at = {serial: FIRST_DATA_ROW + serial for serial in range(len(cases))}
    else:
        rows = good + [spoiled(dataset, changes, serial) for serial, (changes, _, _) in enumerate(cases)]
        at = {serial: FIRST_DATA_ROW + len(good) + serial for serial in range(len(cases))}
    outcome = load(tmp_path, dataset, rows)
    assert outcome.status == "rejected"
    assert scalar(wh, f"select count(*) from raw.{dataset}") == 0
    contract = get_contract(dataset)
    found = {(p.row, p.column, p.rule): p for p in [*outcome.problems.errors, *outcome.problems.warnings]}
    for serial, (_, column, rule) in enumerate(cases):
        header = contract.column(column).header
        problem = found.get((at[serial], header, rule))
        assert problem is not None, (rule, at[serial], header, sorted(found, key=str))
        assert problem.severity == ("warn" if rule in WARNINGS else "block")
        assert f"第 {at[serial]} 行「{header}」" in problem.message_zh
        assert f"Row {at[serial]}, column “{header}”" in problem.message_en
    expected = {(at[s], contract.column(c).header, r) for s, (_, c, r) in enumerate(cases)}
    unexpected = [k for k in found if k not in expected]
    assert not unexpected, [found[k].message_en for k in unexpected]


@pytest.mark.parametrize("dataset", sorted(set(MAKERS) - {"garbage_sorting"}))
def test_a_repeated_key_is_rejected(wh, tmp_path, dataset):
    rows = valid_rows(dataset)
    rows.append(dict(rows[0]))
    outcome = load(tmp_path, dataset, rows)
    assert outcome.status == "rejected"
    problems = [p for p in outcome.problems.errors if p.rule == "duplicate_key"]
    assert {p.row for p in problems} == {FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows) - 1}
    assert "重复" in problems[0].message_zh and "more than once" in problems[0].message_en


@pytest.mark.parametrize("dataset", sorted(MAKERS))
def test_a_missing_required_column_is_rejected(wh, tmp_path, dataset):
    contract = get_contract(dataset)
    dropped = next(c for c in contract.columns if c.required and c.type != "month")
    rows = [{k: v for k, v in row.items() if k != dropped.name} for row in valid_rows(dataset)]
    outcome = load(tmp_path, dataset, rows)
    assert outcome.status == "rejected"
    missing = [p for p in outcome.problems.errors if p.rule == "missing_column"]
    assert [p.column for p in missing] == [dropped.header]
    assert dropped.header in missing[0].message_zh and dropped.header in missing[0].message_en
