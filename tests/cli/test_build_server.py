"""`cityops build` handed over to the warm build server: same output, exit code and marts.

The server (cli/build_server.py) forks a child per build that runs the command with
the command's own stdin/stdout/stderr and environment; it stops when idle, when its home is
gone, when told to, and when the installation changed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess

import pytest

from cityops.cli import build_handover
from cityops.ingest import ingest
from cityops.settings import Home
from tests.fixtures.commands import CITYOPS, cityops
from tests.fixtures.db import scalar
from tests.fixtures.garbage import garbage_rows, table, write
from tests.fixtures.waiting import wait_for

WET = "select sum(wet_t) from marts.fct_garbage_sorting_monthly"


def _served(home: Home) -> list[str]:
    log = home.logs / "build-server.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [line for line in lines if ": build " in line]


def _log(home: Home) -> str:
    path = home.logs / "build-server.log"
    return path.read_text(encoding="utf-8") if path.exists() else "(no log)"


@pytest.fixture
def server(wh):
    """A warm build server for the session's home, stopped by the test."""
    build_handover.start_in_background(wh)
    wait_for("the build server to listen", lambda: build_handover.running(wh), 60, detail=lambda: _log(wh))
    yield wh
    build_handover.stop(wh)
    assert not build_handover.running(wh)


def test_a_build_handed_over_prints_exits_and_publishes_as_one_run_here(server, tmp_path):
    home = server
    before = len(_served(home))
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")

    ok = cityops("build")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("dbt build: ok")
    assert "marts.fct_garbage_sorting_monthly: 10 rows" in ok.stdout
    assert len(_served(home)) == before + 1, _log(home)  # the server ran it, not the command
    assert float(scalar(home, WET)) == pytest.approx(sum(r[3] for r in garbage_rows()))

    # The command's environment reaches the build: a rehearsed failure fails it, with the
    # exit code and message of a build run in the command's own process.
    ingest(write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.1))), "garbage_sorting", "2025-03")
    failed = cityops("build", env={"CITYOPS_DBT_VARS": json.dumps({"cityops_fail_build": True})})
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "assert_build_not_rehearsing_a_failure" in failed.stderr
    assert "The marts were not replaced" in failed.stderr
    assert "Traceback" not in failed.stderr and "leaked" not in failed.stderr
    assert len(_served(home)) == before + 2
    assert float(scalar(home, WET)) == pytest.approx(sum(r[3] for r in garbage_rows()))


def test_ctrl_c_reaches_the_handed_over_build(server, tmp_path):
    """The build waits for the build lock (another build holds it); Ctrl-C to the command
    stops the server's child as it would stop the command's own process."""
    from cityops import locks
    from cityops.load.warehouse import connect

    home = server
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    waiting = "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%advisory%'"
    with connect(home) as holder, locks.dbt_build_lock(holder):
        command = subprocess.Popen([str(CITYOPS), "build"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for("the build to wait for the lock", lambda: scalar(home, waiting) == 1, 60, detail=lambda: _log(home))
        command.send_signal(signal.SIGINT)
        out, err = command.communicate(timeout=60)
        assert scalar(home, waiting) == 0, "the server's child stopped waiting"
    assert command.returncode == 1, out + err
    assert "Aborted!" in err and "Traceback" not in err
    assert scalar(home, "select count(*) from pg_namespace where nspname = 'marts__next'") == 0


def test_without_a_server_the_build_runs_itself_and_starts_one(wh, tmp_path):
    build_handover.stop(wh)
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    first = cityops("build")
    assert first.returncode == 0, first.stderr
    try:
        wait_for("the build to start a server", lambda: build_handover.running(wh), 60, detail=lambda: _log(wh))
    finally:
        build_handover.stop(wh)


def test_off_means_every_build_runs_in_its_own_process(wh, tmp_path):
    build_handover.stop(wh)
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    off = cityops("build", env={"CITYOPS_BUILD_SERVER": "off"})
    assert off.returncode == 0, off.stderr
    assert not build_handover.running(wh)


def _lone_server(tmp_path, monkeypatch, **env: str) -> Home:
    """A server for a home of its own (no warehouse: the server never opens it)."""
    home = Home(tmp_path / "home")
    home.logs.mkdir(parents=True)
    monkeypatch.setenv("CITYOPS_HOME", str(home.root))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    build_handover.start_in_background(home)
    wait_for("the build server to listen", lambda: build_handover.running(home), 60, detail=lambda: _log(home))
    return home


def test_a_server_of_another_installation_stops_and_the_command_runs_itself(tmp_path, monkeypatch):
    home = _lone_server(tmp_path, monkeypatch)
    assert build_handover.handover(["build"], fingerprint="a newer cityops") is None
    wait_for("the stale server to stop", lambda: not build_handover.running(home), 30, detail=lambda: _log(home))
    assert "a newer installation" in _log(home)


def test_an_idle_server_stops(tmp_path, monkeypatch):
    home = _lone_server(tmp_path, monkeypatch, CITYOPS_BUILD_SERVER_IDLE_S="1")
    wait_for("the idle server to stop", lambda: not build_handover.running(home), 60, detail=lambda: _log(home))
    assert "no build for 1 s" in _log(home)


def test_a_server_whose_home_is_gone_stops(tmp_path, monkeypatch):
    home = _lone_server(tmp_path, monkeypatch)
    wait_for("the server to be ready", lambda: "ready" in _log(home), 60, detail=lambda: _log(home))
    shutil.rmtree(home.root)
    wait_for("the server to stop", lambda: not build_handover.running(home), 30)


def test_warehouse_stop_stops_the_build_server(tmp_path, monkeypatch):
    home = _lone_server(tmp_path, monkeypatch)
    stopped = cityops("warehouse", "stop", env={"CITYOPS_HOME": str(home.root)})
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.splitlines()[0] == "build server stopped"
    assert not build_handover.running(home)


def test_only_its_own_user_may_hand_over(tmp_path, monkeypatch):
    """The socket is abstract (no file permissions): the server checks the peer's uid."""
    if os.getuid() != 0:
        pytest.skip("needs root to connect as another user")
    home = _lone_server(tmp_path, monkeypatch)
    pid = os.fork()
    if pid == 0:  # a process of another user tries to hand a build over
        code = 1
        try:
            os.chdir("/")
            os.setuid(65534)
            code = 0 if build_handover.handover(["build"], fingerprint="any") is None else 1
        except BaseException as exc:
            print(f"the other user's handover raised {exc!r}", flush=True)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not _served(home)
    build_handover.stop(home)
