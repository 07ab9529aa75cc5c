"""`warehouse restore` failing half-way leaves the warehouse as it was.

Two real failures: a backup cut short (its table of contents is whole, so it passes the
first check, and pg_restore dies in the middle of the data it streams), and the restoring
process killed (-9) after the whole script was sent but before COMMIT. Either way the
transaction that dropped and recreated the schemas is rolled back.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from cityops.ingest import ingest
from cityops.load.backup import client
from tests.fixtures.commands import cityops, paused_command, wait_until_paused
from tests.fixtures.db import fingerprint
from tests.fixtures.garbage import garbage_rows, table, write


@pytest.fixture
def backed_up(wh, tmp_path):
    """A warehouse with a month loaded, its backup, then a correction made after the backup."""
    assert ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03").status == "loaded"
    dump = tmp_path / "wh.dump"
    assert cityops("warehouse", "backup", "--out", str(dump)).returncode == 0
    corrected = write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.1)))
    assert ingest(corrected, "garbage_sorting", "2025-03").status == "loaded"
    return dump


def _cut_in_the_data(dump, tmp_path):
    """The longest cut of `dump` whose table of contents still reads but whose script fails."""
    data = dump.read_bytes()
    cut = tmp_path / "cut.dump"
    for keep in range(len(data) - 64, 0, -max(64, len(data) // 200)):
        cut.write_bytes(data[:keep])
        listed = subprocess.run([str(client("pg_restore")), "--list", str(cut)], capture_output=True)
        script = subprocess.run([str(client("pg_restore")), "--file", os.devnull, str(cut)], capture_output=True)
        if listed.returncode == 0 and script.returncode != 0:
            return cut
    pytest.fail("no cut of the backup passes --list and fails the restore")


def test_a_backup_cut_short_fails_half_way_and_changes_nothing(wh, backed_up, tmp_path):
    cut = _cut_in_the_data(backed_up, tmp_path)
    before = fingerprint(wh)
    failed = cityops("warehouse", "restore", str(cut))
    assert failed.returncode == 3, failed.stdout + failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "nothing was changed" in lines[0], failed.stderr
    assert fingerprint(wh) == before


def test_a_restore_killed_before_its_commit_changes_nothing(wh, backed_up, tmp_path):
    before = fingerprint(wh)
    marker = tmp_path / "paused"
    process = paused_command(["warehouse", "restore", str(backed_up)], wh.root, "restore", marker)
    wait_until_paused(marker, process, "restore")
    os.kill(process.pid, signal.SIGKILL)  # psql sees its input end with the transaction still open
    process.communicate(timeout=60)
    assert fingerprint(wh) == before  # waits for psql's rollback on the schemas' locks
    done = cityops("warehouse", "restore", str(backed_up))  # and a restore that finishes still works
    assert done.returncode == 0, done.stderr
    assert fingerprint(wh) != before
