"""The same code against another PostgreSQL server: the machine's own, named by a URL."""

from __future__ import annotations

import os

import psycopg

from tests.fixtures.commands import cityops
from tests.fixtures.garbage import table, write


def test_ingest_and_build_on_the_server_named_by_cityops_warehouse_url(local_postgres, tmp_path):
    env = {"CITYOPS_WAREHOUSE_URL": local_postgres, "CITYOPS_HOME": str(tmp_path / "home")}
    path = write(tmp_path / "2025-03.csv", table(), encoding="gbk")
    loaded = cityops("ingest", str(path), "--dataset", "garbage_sorting", "--period", "2025-03", "--json", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert cityops("warehouse", "url", env=env).stdout.strip() == local_postgres.replace(
        "postgresql://", "postgresql+psycopg://"
    )
    built = cityops("build", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    with psycopg.connect(local_postgres) as conn:
        assert conn.execute("select count(*) from raw.garbage_sorting").fetchone()[0] == 10
        assert conn.execute("select count(*) from marts.fct_garbage_sorting_monthly").fetchone()[0] == 10
    assert not (tmp_path / "home" / "warehouse").exists(), "no embedded server when a URL is given"
    assert os.environ.get("CITYOPS_WAREHOUSE_URL") is None
    stopped = cityops("warehouse", "stop", env=env)  # the build left its warm build server: stop it
    assert stopped.stdout.splitlines()[0] == "build server stopped", stopped.stdout + stopped.stderr
