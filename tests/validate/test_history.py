"""Rules across months: compared with the previous month's current batch, corrections included."""

from __future__ import annotations

from decimal import Decimal

from tests.fixtures.db import query, scalar
from tests.fixtures.rows import FIRST_DATA_ROW, elevator, garbage, load, overhead


def _month(rows, period):
    return [{**row, "period": period} for row in rows]


def test_overhead_lines_cumulative_lengths_never_fall(wh, tmp_path):
    february = _month([overhead(i, started=2.0) for i in range(3)], "2025-02")
    assert load(tmp_path, "overhead_lines", february, "2025-02", "feb").status == "loaded"

    fell = _month([overhead(0, started=1.5), overhead(1, started=2.0), overhead(2, started=2.4)], "2025-03")
    outcome = load(tmp_path, "overhead_lines", fell, "2025-03", "mar-bad")
    assert outcome.status == "rejected"
    problems = {(p.row, p.column, p.rule, p.value) for p in outcome.problems.errors}
    assert problems == {
        (FIRST_DATA_ROW, "累计开工长度（公里）", "cumulative_decrease", "1.5"),
        (FIRST_DATA_ROW, "累计竣工长度（公里）", "cumulative_decrease", "0.75"),
    }
    first = outcome.problems.errors[0]
    assert "2" in first.message_zh and "累计数不能减少" in first.message_zh and "never fall" in first.message_en

    grown = _month([overhead(i, started=2.5) for i in range(3)], "2025-03")
    assert load(tmp_path, "overhead_lines", grown, "2025-03", "mar").status == "loaded"
    # A correction of March is still checked against February, not against the March it replaces.
    corrected_down = _month([overhead(i, started=2.2) for i in range(3)], "2025-03")
    assert load(tmp_path, "overhead_lines", corrected_down, "2025-03", "mar-fix").status == "loaded"
    below_february = _month([overhead(i, started=1.9) for i in range(3)], "2025-03")
    assert load(tmp_path, "overhead_lines", below_february, "2025-03", "mar-fix2").status == "rejected"
    statuses = query(wh, "select status, count(*) from audit.ingest_batches where period = '2025-03-01' group by 1")
    assert dict(statuses) == {"current": 1, "superseded": 1, "rejected": 2}
    current = (
        "select max(r.started_km) from raw.overhead_lines r join audit.ingest_batches b on b.batch_id = r._batch_id"
    )
    assert scalar(wh, current + " where b.status = 'current' and b.period = '2025-03-01'") == Decimal("2.2")

    # Lowering February first (a correction of that very month) lets a lower March through.
    assert load(tmp_path, "overhead_lines", _month(below_february, "2025-02"), "2025-02", "feb-fix").status == "loaded"
    assert load(tmp_path, "overhead_lines", below_february, "2025-03", "mar-fix3").status == "loaded"


def test_elevator_stage_never_moves_backwards(wh, tmp_path):
    february = _month([elevator(0, "开工"), elevator(1, "立项")], "2025-02")
    assert load(tmp_path, "elevator_retrofit", february, "2025-02", "feb").status == "loaded"

    backwards = _month([elevator(0, "审批"), elevator(1, "立项")], "2025-03")
    outcome = load(tmp_path, "elevator_retrofit", backwards, "2025-03", "mar-bad")
    [problem] = outcome.problems.errors
    assert (problem.row, problem.column, problem.rule, problem.value) == (
        FIRST_DATA_ROW,
        "阶段",
        "stage_backwards",
        "审批",
    )
    assert "“开工”" in problem.message_zh and "“开工”" in problem.message_en

    assert (
        load(
            tmp_path,
            "elevator_retrofit",
            _month([elevator(0, "竣工"), elevator(1, "审批")], "2025-03"),
            "2025-03",
            "mar",
        ).status
        == "loaded"
    )
    # Correcting March back to February's stage is allowed: equal is not backwards.
    corrected = _month([elevator(0, "开工"), elevator(1, "审批")], "2025-03")
    assert load(tmp_path, "elevator_retrofit", corrected, "2025-03", "mar-fix").status == "loaded"
    assert scalar(wh, "select count(*) from audit.ingest_batches where status = 'superseded'") == 1


def test_garbage_residential_area_total_moving_more_than_5_percent_is_a_warning(wh, tmp_path):
    february = _month([garbage(i) for i in range(10)], "2025-02")
    assert load(tmp_path, "garbage_sorting", february, "2025-02", "feb").status == "loaded"

    jumped = [garbage(i) for i in range(10)]
    jumped[0]["residential_areas"] += 50  # 739 -> 789: +6.8%
    jumped[0]["compliant_residential_areas"] += 50
    outcome = load(tmp_path, "garbage_sorting", jumped, "2025-03", "mar")
    assert outcome.status == "loaded"
    [warning] = outcome.problems.warnings
    assert (warning.row, warning.column, warning.rule, warning.severity) == (
        None,
        "居住区总数",
        "total_change_limit",
        "warn",
    )
    assert "739" in warning.message_zh and "6.8%" in warning.message_zh and "789" in warning.message_en

    # A correction of March inside the 5% line loads without a warning.
    steady = [garbage(i) for i in range(10)]
    steady[0]["residential_areas"] += 30
    steady[0]["compliant_residential_areas"] += 30
    corrected = load(tmp_path, "garbage_sorting", steady, "2025-03", "mar-fix")
    assert corrected.status == "loaded" and not corrected.problems.warnings
