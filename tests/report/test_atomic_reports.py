"""A rejected file's reports are written whole or not at all, like the file and the batch.

The failure is real: the process may write no file past a size limit (RLIMIT_FSIZE), so
the writes of the reports fail part-way, as on a disk that fills. Every report file left
is whole (report.json parses); no temporary file stays behind; the audit row keeps the
decision and its report, and writing the reports again, with room, completes them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import resource
import signal
from pathlib import Path

import pytest

from cityops.ingest import ingest
from cityops.report.writer import write_reports
from tests.fixtures.db import scalar
from tests.fixtures.garbage import garbage_rows, table, write

LIMIT = 2048  # bytes: more than nothing, less than each report of a file with ten wrong rows


@contextlib.contextmanager
def _file_size_limit(limit: int):
    """Writes past `limit` bytes fail with EFBIG (SIGXFSZ ignored) in this process only."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def _rejected(wh, tmp_path: Path):
    rows = garbage_rows()
    for row in rows:
        row[1] = f"{row[1]}（原）"  # every street unknown: ten errors, a report of several KiB
    outcome = ingest(write(tmp_path / "2025-03.xlsx", table(rows)), "garbage_sorting", "2025-03", home=wh)
    assert outcome.status == "rejected" and len(outcome.problems.errors) >= 10
    return outcome


def test_a_report_cut_off_mid_write_leaves_no_half_file(wh, tmp_path):
    outcome = _rejected(wh, tmp_path)
    stored = Path(outcome.stored_file)
    folder = tmp_path / "again"
    folder.mkdir()
    assert len((stored.parent / "report.json").read_bytes()) > LIMIT, "the limit must cut report.json"
    with _file_size_limit(LIMIT), pytest.raises(OSError) as failed:
        write_reports(stored, outcome, folder)
    assert failed.value.errno == errno.EFBIG
    left = sorted(p.name for p in folder.iterdir())
    assert "report.json" not in left, f"half a report.json: {left}"
    assert not [name for name in left if name.startswith(".partial")], left
    for name in left:  # a marked copy that failed is removed; nothing else may be there
        assert name.endswith(".marked.xlsx") and (folder / name).stat().st_size > 0, left

    report = scalar(wh, "select report from audit.ingest_batches where batch_id = %s", outcome.batch_id)
    assert report["status"] == "rejected", "the decision and its report are in the audit row"
    write_reports(stored, outcome, folder)  # room again: the reports are written whole
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["errors"]
    assert (folder / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
