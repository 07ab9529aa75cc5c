"""Shared fixtures: a real embedded PostgreSQL per test session, a clean warehouse per test.

Tests call the package in-process where they can (GX and dbt are imported once per
session) and the `cityops` command where the interface itself is under test. The
builders they share are in tests/fixtures/.
"""

from __future__ import annotations

import os
import shutil
import uuid

import psycopg
import pytest

from cityops.settings import Home
from tests.fixtures.db import RESET

# A `cityops build` run as a command leaves a warm build server behind (cli/build_server.py):
# in tests it stops soon after its last build instead of after 15 minutes.
os.environ.setdefault("CITYOPS_BUILD_SERVER_IDLE_S", "60")


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """One CITYOPS_HOME and one embedded warehouse for the session (per xdist worker)."""
    root = tmp_path_factory.mktemp("home")
    os.environ["CITYOPS_HOME"] = str(root)
    os.environ.pop("CITYOPS_WAREHOUSE_URL", None)
    os.environ.setdefault("CITYOPS_PII_KEY", "test-key-not-a-secret")
    from cityops.load import warehouse

    home = Home(root).ensure()
    warehouse.start(home)
    yield home
    from cityops.cli.build_handover import stop

    stop(home)  # a `cityops build` run as a command started it
    warehouse.stop(home)


@pytest.fixture
def wh(home: Home) -> Home:
    """A warehouse with nothing loaded, and empty landing/archive/quarantine folders."""
    from cityops.load.warehouse import connect

    with connect(home) as conn:
        conn.execute(RESET)
    for folder in (home.landing, home.archive, home.quarantine):
        shutil.rmtree(folder, ignore_errors=True)
    return home.ensure()


@pytest.fixture
def local_postgres() -> str:
    """The machine's PostgreSQL on 127.0.0.1:5432: a fresh database for this test."""
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"cityops_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'create database "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"the local PostgreSQL on 127.0.0.1:5432 is required for this test: {exc}")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


LONGEST = ("tests/orchestrate/test_stack.py",)  # the Celery stack end to end: about five minutes


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest test starts first: begun late, it alone would set the suite's wall time on two workers."""
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST))
