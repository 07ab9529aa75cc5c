"""Every rejection reason of garbage_sorting: a real file each, a clear bilingual reason,
nothing in raw, and the file in quarantine beside its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cityops.ingest import ingest
from tests.fixtures.db import scalar
from tests.fixtures.garbage import HEADER, garbage_rows, table, write


def _reject(home, path: Path, period: str = "2025-03"):
    outcome = ingest(path, "garbage_sorting", period)
    assert outcome.status == "rejected" and outcome.exit_code == 1
    assert scalar(home, "select count(*) from raw.garbage_sorting") == 0
    assert scalar(home, "select status from audit.ingest_batches where batch_id = %s", outcome.batch_id) == "rejected"
    stored = Path(outcome.stored_file)
    assert stored.parent.parent == home.quarantine / "garbage_sorting" / period
    assert stored.exists() and (stored.parent / "report.md").exists()
    report = json.loads((stored.parent / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "rejected" and report["errors"]
    for problem in outcome.problems.errors:
        assert problem.message_zh and problem.message_en
        assert "Traceback" not in problem.message_en and "SELECT" not in problem.message_en.upper()
    return outcome


def _error(outcome, rule: str):
    found = [p for p in outcome.problems.errors if p.rule == rule]
    assert found, f"no {rule} in {[p.rule for p in outcome.problems.errors]}"
    return found[0]


def _spoil(tmp_path: Path, row: int, column: int, value, name: str = "2025-03.xlsx") -> Path:
    rows = garbage_rows()
    rows[row][column] = value
    return write(tmp_path / name, table(rows))


def test_unknown_street(wh, tmp_path):
    problem = _error(_reject(wh, _spoil(tmp_path, 3, 1, "虹桥镇区")), "unknown_street")
    assert (problem.row, problem.column, problem.value) == (
        7,
        "街镇",
        "虹桥镇区",
    )  # title, blank, header: row 4 is the first
    assert "华阳路街道" in problem.message_zh and "Allowed" in problem.message_en


def test_missing_column(wh, tmp_path):
    header = [h for h in HEADER if h != "湿垃圾（吨）"]
    rows = [r[:3] + r[4:] for r in garbage_rows()]
    problem = _error(_reject(wh, write(tmp_path / "2025-03.xlsx", table(rows, header=header))), "missing_column")
    assert (problem.row, problem.column) == (3, "湿垃圾（吨）")
    assert "湿垃圾（吨）" in problem.message_zh and "missing" in problem.message_en


def test_wrong_type(wh, tmp_path):
    problem = _error(_reject(wh, _spoil(tmp_path, 0, 7, "七十")), "wrong_type")
    assert (problem.row, problem.column, problem.value) == (4, "居住区总数", "七十")
    assert "整数" in problem.message_zh and "whole number" in problem.message_en


def test_a_fraction_where_a_count_belongs_is_the_wrong_type(wh, tmp_path):
    problem = _error(_reject(wh, _spoil(tmp_path, 2, 9, 12.5)), "wrong_type")
    assert (problem.row, problem.column) == (6, "沿街商铺上门收集户数")


@pytest.mark.parametrize(
    ("column", "value", "rule", "header"),
    [
        (3, -3, "min_value", "湿垃圾（吨）"),
        (6, 120, "max_value", "资源化利用率（%）"),
    ],
)
def test_out_of_range(wh, tmp_path, column, value, rule, header):
    problem = _error(_reject(wh, _spoil(tmp_path, 4, column, value)), rule)
    assert (problem.row, problem.column, problem.value) == (8, header, str(value))


def test_compliant_areas_above_the_total(wh, tmp_path):
    problem = _error(_reject(wh, _spoil(tmp_path, 5, 8, 999)), "not_greater_than_column")
    assert (problem.row, problem.column, problem.value) == (9, "分类达标居住区数", "999")
    assert "居住区总数" in problem.message_zh and "101" in problem.message_en


def test_period_mismatch(wh, tmp_path):
    problem = _error(_reject(wh, _spoil(tmp_path, 1, 0, "2025年4月")), "period_mismatch")
    assert (problem.row, problem.column, problem.value) == (5, "统计月份", "2025-04")
    assert "2025-03" in problem.message_zh and "2025-03" in problem.message_en


def test_a_whole_file_for_another_month(wh, tmp_path):
    outcome = _reject(wh, write(tmp_path / "2025-02.xlsx", table(garbage_rows(period="2025-02"))))
    assert len([p for p in outcome.problems.errors if p.rule == "period_mismatch"]) == 10


def test_duplicate_street(wh, tmp_path):
    outcome = _reject(wh, _spoil(tmp_path, 9, 1, "华阳路"))
    rows = {p.row for p in outcome.problems.errors if p.rule == "duplicate_key"}
    assert rows == {4, 13}
    missing = _error(outcome, "missing_streets")
    assert missing.value == "新泾镇" and missing.row is None


def test_fewer_than_ten_streets(wh, tmp_path):
    outcome = _reject(wh, write(tmp_path / "2025-03.csv", table(garbage_rows()[:8])))
    assert _error(outcome, "row_count").value == "8"
    assert _error(outcome, "missing_streets").value == "北新泾街道、新泾镇"


def test_empty_file(wh, tmp_path):
    path = tmp_path / "2025-03.csv"
    path.write_bytes(b"")
    problem = _error(_reject(wh, path), "empty_file")
    assert problem.row is None and "空" in problem.message_zh


def test_header_only(wh, tmp_path):
    problem = _error(_reject(wh, write(tmp_path / "2025-03.xlsx", table([], totals=False))), "no_data")
    assert "表头" in problem.message_zh and "no data rows" in problem.message_en


def test_a_spreadsheet_that_is_really_a_csv(wh, tmp_path):
    path = tmp_path / "2025-03.xlsx"
    write(tmp_path / "real.csv", table())
    path.write_bytes((tmp_path / "real.csv").read_bytes())
    problem = _error(_reject(wh, path), "not_what_name_says")
    assert problem.value == "2025-03.xlsx" and "Excel" in problem.message_zh


def test_a_binary_renamed_csv(wh, tmp_path):
    path = tmp_path / "2025-03.csv"
    path.write_bytes(bytes(range(256)) * 64)
    assert _error(_reject(wh, path), "not_text").row is None


def test_the_wrong_report_altogether(wh, tmp_path):
    lines = [["河道名称", "断面名称", "溶解氧（mg/L）"], ["苏州河", "华政桥", 6.2]]
    problem = _error(_reject(wh, write(tmp_path / "2025-03.xlsx", lines)), "no_header")
    assert "统计月份" in problem.message_zh


def test_a_large_bad_file_keeps_a_short_report(wh, tmp_path):
    rows = garbage_rows() * 30  # 300 rows: 290 duplicates, each a problem
    outcome = _reject(wh, write(tmp_path / "2025-03.csv", table(rows)))
    counts = {(c["rule"]): c["count"] for c in outcome.to_json()["counts"]}
    assert counts["duplicate_key"] == 300
    assert len(outcome.to_json()["errors"]) < 120


def test_an_unreadable_cell_is_counted_once_not_again_as_missing(wh, tmp_path):
    rows = garbage_rows() * 12  # 120 rows, more than the report lists per rule
    for row in rows:
        row[7] = "七十"
    counts = {
        (c["rule"], c["column"]): c["count"]
        for c in _reject(wh, write(tmp_path / "x.csv", table(rows))).to_json()["counts"]
    }
    assert counts[("wrong_type", "居住区总数")] == 120
    assert ("required", "居住区总数") not in counts
