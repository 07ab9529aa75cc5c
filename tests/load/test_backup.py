"""`cityops warehouse backup` / `restore`: a round trip gives back exactly what was there."""

from __future__ import annotations

import stat

from cityops.ingest import ingest
from cityops.load.warehouse import connect
from tests.fixtures.commands import cityops
from tests.fixtures.db import fingerprint, scalar
from tests.fixtures.garbage import garbage_rows, table, write


def test_backup_then_restore_gives_back_the_same_warehouse(wh, tmp_path):
    assert ingest(write(tmp_path / "2025-03.xlsx", table()), "garbage_sorting", "2025-03").status == "loaded"
    bad = table(garbage_rows(period="2025-02"))
    bad[5][3] = -3  # a negative tonnage: rejected, with validation results and a report in audit
    assert ingest(write(tmp_path / "2025-02.xlsx", bad), "garbage_sorting", "2025-02").status == "rejected"
    assert cityops("warehouse", "grants").returncode == 0
    before = fingerprint(wh)
    assert before["raw.garbage_sorting"][0] == 10 and before["audit.ingest_batches"][0] == 2
    assert before["audit.validation_results"][0] > 0

    made = cityops("warehouse", "backup", "--out", str(tmp_path / "wh.dump"))
    assert made.returncode == 0, made.stderr
    dump = tmp_path / "wh.dump"
    assert made.stdout.strip() == str(dump)
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]

    # Life goes on after the backup: a correction, a stray table, lost audit rows.
    corrected = write(tmp_path / "2025-03b.xlsx", table(garbage_rows(scale=1.1)))
    assert ingest(corrected, "garbage_sorting", "2025-03").status == "loaded"
    with connect(wh) as conn:
        conn.execute("create table raw.stray (x int); delete from audit.validation_results")
    assert fingerprint(wh) != before

    restored = cityops("warehouse", "restore", str(dump))
    assert restored.returncode == 0, restored.stderr
    after = fingerprint(wh)
    assert after == before
    assert scalar(wh, "select relrowsecurity from pg_class where oid = 'raw.garbage_sorting'::regclass")
    assert scalar(wh, "select count(*) from pg_policies where schemaname in ('raw', 'audit')") >= 3

    # The restored warehouse works: the correction loads again on top of it.
    assert ingest(corrected, "garbage_sorting", "2025-03").status == "loaded"


def test_restoring_something_that_is_not_a_backup_changes_nothing(wh, tmp_path):
    assert ingest(write(tmp_path / "2025-03.xlsx", table()), "garbage_sorting", "2025-03").status == "loaded"
    before = fingerprint(wh)
    junk = tmp_path / "not-a-backup.dump"
    junk.write_bytes(b"PGDMP" + bytes(range(256)) * 4)
    refused = cityops("warehouse", "restore", str(junk))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a warehouse backup" in lines[0], refused.stderr
    assert fingerprint(wh) == before
