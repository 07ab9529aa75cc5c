"""Messy but honest garbage_sorting files load: every variant of the common rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cityops.ingest import ingest
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import HEADER, garbage_rows, table, write


def _load(path: Path):
    outcome = ingest(path, "garbage_sorting", "2025-03")
    assert outcome.status == "loaded", [p.message_en for p in outcome.problems.errors]
    assert outcome.exit_code == 0
    return outcome


def _figures(home, street: str) -> tuple:
    return query(
        home,
        "select residual_t, wet_t, resource_utilization_pct, residential_areas, period "
        "from raw.garbage_sorting where street = %s",
        street,
    )[0]


def test_title_blank_units_rows_totals_and_footer_are_skipped(wh, tmp_path):
    units = ["", "", "吨", "吨", "吨", "吨", "%", "个", "个", "户"]
    lines = table()
    lines.insert(3, units)
    outcome = _load(write(tmp_path / "2025-03.xlsx", lines))
    assert outcome.rows == 10
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 10
    assert scalar(wh, "select min(_row) from raw.garbage_sorting") == 5  # title, blank, header, units
    assert scalar(wh, "select count(*) from raw.garbage_sorting where street like '%合计%'") == 0


def test_half_width_and_broken_headers(wh, tmp_path):
    header = list(HEADER)
    header[2] = "干垃圾 (吨)"
    header[3] = "湿垃圾\n（吨）"
    header[6] = "资源化利用率"  # the unit left off
    header[7] = " 居住区 总数 "
    _load(write(tmp_path / "2025-03.xlsx", table(header=header)))
    assert scalar(wh, "select sum(residential_areas) from raw.garbage_sorting") == 739


def test_street_names_without_suffix_and_with_full_width_spaces(wh, tmp_path):
    rows = garbage_rows()
    rows[0][1] = "华阳路"
    rows[1][1] = "\u3000江苏路街道 "
    rows[9][1] = "新泾"
    _load(write(tmp_path / "2025-03.csv", table(rows)))
    streets = {r[0] for r in query(wh, "select street from raw.garbage_sorting")}
    assert {"华阳路街道", "江苏路街道", "新泾镇"} <= streets


@pytest.mark.parametrize(
    "spelling", ["2025-03", "2025/3", "202503", "2025年3月", "2025.03", "2025-03-01", dt.datetime(2025, 3, 1), 45717]
)
def test_every_month_spelling_and_an_excel_date(wh, tmp_path, spelling):
    _load(write(tmp_path / "2025-03.xlsx", table(garbage_rows(period=spelling))))
    assert {r[0] for r in query(wh, "select distinct period from raw.garbage_sorting")} == {dt.date(2025, 3, 1)}


def test_thousands_separators_full_width_digits_and_percent_signs(wh, tmp_path):
    rows = garbage_rows()
    rows[0][2] = "1,234.5"
    rows[0][3] = "４５６．７"
    rows[0][6] = "68%"
    rows[1][6] = "６７％"
    _load(write(tmp_path / "2025-03.csv", table(rows)))
    residual, wet, pct, _, _ = _figures(wh, "华阳路街道")
    assert (float(residual), float(wet), float(pct)) == (1234.5, 456.7, 68.0)
    assert float(_figures(wh, "江苏路街道")[2]) == 67.0


def test_dash_or_empty_means_zero_where_the_contract_says_so(wh, tmp_path):
    rows = garbage_rows()
    rows[0][5] = "-"
    rows[1][9] = ""
    _load(write(tmp_path / "2025-03.xlsx", table(rows)))
    assert scalar(wh, "select hazardous_t from raw.garbage_sorting where street = '华阳路街道'") == 0


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("2025-03.xlsx", {}),
        ("2025-03.xls", {}),
        ("2025-03.csv", {"encoding": "utf-8"}),
        ("2025-03.csv", {"encoding": "utf-8-sig"}),
        ("2025-03.csv", {"encoding": "gbk"}),
        ("2025-03.csv", {"encoding": "gb18030"}),
        ("2025-03.csv", {"encoding": "gbk", "delimiter": "\t"}),
        ("2025-03.txt", {"encoding": "utf-8", "delimiter": "\t"}),
    ],
)
def test_every_format_and_encoding(wh, tmp_path, name, options):
    _load(write(tmp_path / name, table(), **options))
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 10
    assert scalar(wh, "select sum(residential_areas) from raw.garbage_sorting") == 739
    assert scalar(wh, "select count(*) from raw.garbage_sorting where street = '仙霞新村街道'") == 1


def test_the_warehouse_stores_canonical_typed_values_with_lineage(wh, tmp_path):
    path = write(tmp_path / "2025-03.xlsx", table())
    outcome = _load(path)
    row = query(
        wh,
        "select period, street, resource_utilization_pct, _batch_id::text, _source_file, _loaded_at "
        "from raw.garbage_sorting order by _row limit 1",
    )[0]
    assert row[0] == dt.date(2025, 3, 1) and row[1] == "华阳路街道" and float(row[2]) == 60.0
    assert row[3] == outcome.batch_id and row[4] == str(path) and row[5] is not None
    audit = query(wh, "select status, rows, file_sha256, source_file from audit.ingest_batches")
    assert audit == [("current", 10, audit[0][2], str(path))] and len(audit[0][2]) == 64
