"""A symbolic link in landing/ is never read, wherever it points (README: "landing/ takes real files").

Followed, a link would copy any file the service user can read into the archive (pointing
outside), or move the link instead of the file (pointing inside). It is left where it is,
logged, skipped by the close, and `ingest` refuses it as a usage error: no audit row, no file kept.
"""

from __future__ import annotations

import pytest

from cityops.errors import UsageError
from cityops.extract.landing import waiting
from cityops.ingest import ingest
from tests.fixtures.db import scalar
from tests.fixtures.garbage import garbage_rows, table, write


def _nothing_taken(wh, target) -> None:
    assert target.is_file(), "the file the link points at is untouched"
    if scalar(wh, "select to_regclass('audit.ingest_batches') is not null"):
        assert scalar(wh, "select count(*) from audit.ingest_batches") == 0
    assert not [p for p in wh.archive.rglob("*") if p.is_file()]
    assert not [p for p in wh.quarantine.rglob("*") if p.is_file()]


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_a_linked_file_in_landing_is_skipped_and_refused(wh, tmp_path, where, caplog):
    folder = wh.landing / "garbage_sorting"
    folder.mkdir(parents=True)
    if where == "outside":
        target = write(tmp_path / "secret.xlsx", table())
    else:  # inside landing/, but not where the close looks: a link would move itself, not the file
        (wh.landing / "spare").mkdir()
        target = write(wh.landing / "spare" / "2025-03.xlsx", table())
    link = folder / "2025-03.xlsx"
    link.symlink_to(target)
    assert waiting("garbage_sorting", wh) == []
    assert "symbolic link" in caplog.text
    with pytest.raises(UsageError, match="symbolic link"):
        ingest(link, "garbage_sorting", "2025-03", home=wh)
    assert link.is_symlink(), "left where it is"
    _nothing_taken(wh, target)


def test_a_file_in_a_linked_dataset_folder_is_refused(wh, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = write(elsewhere / "2025-03.xlsx", table())
    wh.landing.mkdir(parents=True, exist_ok=True)
    (wh.landing / "garbage_sorting").symlink_to(elsewhere, target_is_directory=True)
    assert waiting("garbage_sorting", wh) == []
    with pytest.raises(UsageError, match="symbolic link"):
        ingest(wh.landing / "garbage_sorting" / "2025-03.xlsx", "garbage_sorting", "2025-03", home=wh)
    _nothing_taken(wh, target)


def test_a_real_file_beside_a_link_still_loads(wh, tmp_path):
    folder = wh.landing / "garbage_sorting"
    folder.mkdir(parents=True)
    (folder / "2025-02.xlsx").symlink_to(write(tmp_path / "x.xlsx", table(garbage_rows("2025-02"))))
    real = write(folder / "2025-03.xlsx", table())
    assert waiting("garbage_sorting", wh) == [("2025-03", real)]
    assert ingest(real, "garbage_sorting", "2025-03", home=wh).status == "loaded"
