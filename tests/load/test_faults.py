"""Faults with real processes and a real PostgreSQL: the warehouse going away mid-load, two
departments loading at once, a disk that fills. Each must end in a clear one-line error
(exit 3) or a clean load, never a half-loaded batch or a half-written file."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from cityops.ingest import ingest
from cityops.load import warehouse
from cityops.settings import Home
from tests.fixtures.commands import CITYOPS, ROOT, paused_ingest, wait_until_paused
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import garbage_rows, table, write
from tests.fixtures.rows import month_file, valid_rows

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _one_clear_line(stderr: str, starts: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"cityops: {starts}"), stderr


@pytest.fixture
def fresh_pg():
    """A database of its own on the machine's PostgreSQL (15), dropped afterwards."""
    name = f"cityops_faults_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'create database "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.mark.slow
def test_the_warehouse_restarting_mid_publish_is_one_clear_error_and_the_retry_loads(wh, tmp_path):
    point = "publish"  # rows inserted into raw, not yet committed
    landing = wh.landing / "garbage_sorting"
    landing.mkdir(parents=True, exist_ok=True)
    path = write(landing / "2025-03.xlsx", table())
    marker = tmp_path / "paused"
    process = paused_ingest(path, wh.root, point, marker)
    wait_until_paused(marker, process, point)
    warehouse.stop(wh)  # pg_ctl stop (fast): every session is cut off
    warehouse.start(wh)
    marker.unlink()  # let the load go on against the restarted server
    out, err = process.communicate(timeout=120)
    assert process.returncode == 3, out + err
    _one_clear_line(err, "Lost the connection to the warehouse")
    assert "run the same command again" in err
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 0
    assert scalar(wh, "select status from audit.ingest_batches") == "received"
    assert path.exists(), "the file stays in landing for the retry"
    retry = ingest(path, "garbage_sorting", "2025-03")
    assert retry.status == "loaded"
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 10
    assert sorted(r[0] for r in query(wh, "select status from audit.ingest_batches")) == ["current", "failed"]


@pytest.mark.slow
def test_the_ingest_connection_terminated_by_the_server_is_one_clear_error(fresh_pg, tmp_path, monkeypatch):
    home = Home(tmp_path / "home")
    path = write(tmp_path / "2025-03.xlsx", table())
    marker = tmp_path / "paused"
    process = paused_ingest(path, home.root, "copy", marker, CITYOPS_WAREHOUSE_URL=fresh_pg)
    wait_until_paused(marker, process, "copy")  # in the middle of COPY into the stage table
    with psycopg.connect(fresh_pg, autocommit=True) as admin:
        killed = admin.execute(
            "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity "
            "where datname = current_database() and application_name = 'cityops' and pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed == 1
    marker.unlink()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 3, out + err
    _one_clear_line(err, "Lost the connection to the warehouse")
    with psycopg.connect(fresh_pg) as conn:
        assert conn.execute("select count(*) from raw.garbage_sorting").fetchone()[0] == 0
    monkeypatch.setenv("CITYOPS_WAREHOUSE_URL", fresh_pg)
    retry = ingest(path, "garbage_sorting", "2025-03", home=home)
    assert retry.status == "loaded"
    with psycopg.connect(fresh_pg) as conn:
        assert conn.execute("select count(*) from raw.garbage_sorting").fetchone()[0] == 10
        statuses = sorted(r[0] for r in conn.execute("select status from audit.ingest_batches"))
        assert statuses == ["current", "failed"]
        stages = conn.execute("select count(*) from pg_tables where schemaname = 'stage'").fetchone()[0]
        assert stages == 0, "the interrupted load's stage table is dropped by the retry"


def _second_dataset_file(tmp_path: Path) -> tuple[Path, str, str]:
    """The water department's file for the same month."""
    return month_file(tmp_path, "water_quality", valid_rows("water_quality")), "water_quality", "2025-03"


@pytest.mark.slow
def test_two_departments_loading_at_once_both_load(wh, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    jobs = [
        (write(tmp_path / "a" / "2025-03.xlsx", table()), "garbage_sorting", "2025-03"),
        _second_dataset_file(tmp_path / "b"),
    ]
    runs = [
        subprocess.Popen(
            [str(CITYOPS), "ingest", str(path), "--dataset", dataset, "--period", period, "--json"],
            env={**os.environ, "CITYOPS_HOME": str(wh.root)},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path, dataset, period in jobs
    ]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=180)
        assert run.returncode == 0, out + err
        results.append(json.loads(out))
    assert [r["status"] for r in results] == ["loaded", "loaded"]
    current = query(
        wh, "select dataset, period::text, rows from audit.ingest_batches where status = 'current' order by 1, 2"
    )
    assert len(current) == 2
    assert {(d, p[:7]) for d, p, _ in current} == {(d, p) for _, d, p in jobs}
    for dataset, period, rows in current:
        stored = scalar(wh, f'select count(*) from raw."{dataset}" where period = %s', period)
        assert stored == rows > 0


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs to serve as CITYOPS_HOME (root can mount one); unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the disk until only `leave` bytes are free."""
    filler = disk / "filler"
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
def test_a_full_disk_is_one_clear_error_and_nothing_is_half_written(fresh_pg, small_disk, tmp_path, monkeypatch):
    home = Home(small_disk).ensure()
    path = write(tmp_path / "2025-03.xlsx", table(garbage_rows(scale=1.5)))
    assert path.stat().st_size > 4096
    filler = _fill(small_disk, leave=4096)  # less than the file: its copy into the archive cannot finish
    done = subprocess.run(
        [str(CITYOPS), "ingest", str(path), "--dataset", "garbage_sorting", "--period", "2025-03", "--json"],
        env={**os.environ, "CITYOPS_HOME": str(small_disk), "CITYOPS_WAREHOUSE_URL": fresh_pg},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    _one_clear_line(done.stderr, "no space left on the disk")
    assert "Nothing was half-written" in done.stderr
    assert _files(home.archive) == [] and _files(home.quarantine) == [], "no partial copy anywhere"
    assert not [p for p in small_disk.rglob("*") if ".partial" in p.name]
    with psycopg.connect(fresh_pg) as conn:
        batches = conn.execute("select status, rows from audit.ingest_batches").fetchall()
        stored = conn.execute("select count(*) from raw.garbage_sorting").fetchone()[0]
    # The batch went in whole (one transaction) before the filing failed; never a part of it.
    assert batches == [("current", 10)] and stored == 10
    assert path.exists()

    filler.unlink()  # space again: sent again through landing, it is filed and changes nothing else
    monkeypatch.setenv("CITYOPS_WAREHOUSE_URL", fresh_pg)
    (home.landing / "garbage_sorting").mkdir(parents=True)
    resent = home.landing / "garbage_sorting" / path.name
    resent.write_bytes(path.read_bytes())
    again = ingest(resent, "garbage_sorting", "2025-03", home=home)
    assert again.status == "unchanged"
    assert [p.name for p in _files(home.archive)] == ["2025-03.xlsx"]
    assert Path(again.stored_file).read_bytes() == path.read_bytes()
    with psycopg.connect(fresh_pg) as conn:
        assert conn.execute("select count(*) from raw.garbage_sorting").fetchone()[0] == 10
