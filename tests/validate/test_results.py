"""Every check's outcome is kept in audit.validation_results: the GX suite, the rules against
last month, and what reading the file found, so BI can chart quality by department and month."""

from __future__ import annotations

from cityops.ingest import ingest
from tests.fixtures.db import query
from tests.fixtures.garbage import garbage_rows, table, write

COLUMNS = "expectation, rule, column_name, severity, success, observed_value, failing_rows, department"


def _results(home, outcome) -> dict[str, tuple]:
    rows = query(home, f"select {COLUMNS} from audit.validation_results where batch_id = %s", outcome.batch_id)
    return {r[0]: r[1:] for r in rows}


def test_reading_problems_are_stored_per_rule_and_column(wh, tmp_path):
    rows = garbage_rows()
    rows[0][7] = "七十"
    rows[3][7] = "许多"
    rows[4][3] = -3
    outcome = ingest(write(tmp_path / "2025-03.xlsx", table(rows)), "garbage_sorting", "2025-03")
    assert outcome.status == "rejected"
    results = _results(wh, outcome)
    assert results["garbage_sorting.residential_areas.wrong_type"] == (
        "wrong_type",
        "居住区总数",
        "block",
        False,
        "七十",
        2,
        "区绿化市容局",
    )
    rule, column, severity, success, observed, failing, _ = results["garbage_sorting.wet_t.min_value"]
    assert (rule, column, success, failing) == ("min_value", "湿垃圾（吨）", False, 1)
    assert results["garbage_sorting.table.row_count"][3] is True  # passing checks are kept too


def test_a_file_refused_whole_is_stored_as_one_result(wh, tmp_path):
    path = tmp_path / "2025-03.csv"
    path.write_bytes(b"")
    outcome = ingest(path, "garbage_sorting", "2025-03")
    assert _results(wh, outcome) == {
        "garbage_sorting.file.empty_file": ("empty_file", None, "block", False, None, 1, "区绿化市容局")
    }


def test_rules_against_last_month_are_stored(wh, tmp_path):
    ingest(write(tmp_path / "feb.xlsx", table(garbage_rows("2025-02"))), "garbage_sorting", "2025-02")
    steady = ingest(write(tmp_path / "mar.xlsx", table()), "garbage_sorting", "2025-03")
    history = "garbage_sorting.residential_areas.total_change_limit"
    assert _results(wh, steady)[history] == (
        "total_change_limit",
        "居住区总数",
        "warn",
        True,
        None,
        0,
        "区绿化市容局",
    )
    rows = garbage_rows()
    for row in rows:
        row[7] += 20
    jumped = ingest(write(tmp_path / "mar2.xlsx", table(rows)), "garbage_sorting", "2025-03")
    assert jumped.status == "loaded"
    assert _results(wh, jumped)[history] == (
        "total_change_limit",
        "居住区总数",
        "warn",
        False,
        "939",
        1,
        "区绿化市容局",
    )
