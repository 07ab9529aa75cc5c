"""GX Data Docs of a month's current batches, built on demand for reviewers."""

from __future__ import annotations

import datetime as dt

from cityops.ingest import ingest
from cityops.validate.data_docs import build_data_docs
from tests.fixtures.garbage import table, write


def test_data_docs_show_the_current_batch_of_each_dataset(wh, tmp_path):
    ingest(write(tmp_path / "2025-03.xlsx", table()), "garbage_sorting", "2025-03")
    for _ in range(2):  # re-building replaces the suites and keeps the results
        index = build_data_docs(dt.date(2025, 3, 1), wh)
    assert index.is_file() and "garbage_sorting_2025_03" in index.read_text(encoding="utf-8")
    pages = list((index.parent / "validations" / "garbage_sorting_2025_03").rglob("*.html"))
    assert len(pages) == 2
    assert "compliant_residential_areas" in pages[0].read_text(encoding="utf-8")
