"""A real portal: `cityops portal` started as a process on a free loopback port, over the
session's embedded warehouse, with one account per department the tests use.

The server carries the tests' own sitecustomize (pause/): an upload can be held at a
load checkpoint while a test looks at the progress page and the rest of the portal.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from cityops.load.schema import ensure_portal
from cityops.load.warehouse import connect
from cityops.portal import accounts
from tests.fixtures.commands import CITYOPS, ROOT
from tests.fixtures.db import RESET
from tests.fixtures.waiting import wait_for

PAUSE = Path(__file__).resolve().parent / "pause"
FIRST = "first-password-1"
NEW = "a-better-password-2"
USERS = {"greening": "区绿化市容局", "water": "区水务局", "city_ops": "区城运中心"}
MAX_FILE_MB = 2


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    gate: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="package")
def portal(home, tmp_path_factory) -> Server:
    with connect(home) as conn:
        conn.execute("drop schema if exists portal cascade")
        conn.execute(RESET)
        with conn.transaction():
            ensure_portal(conn)
        for username, department in USERS.items():
            role = "admin" if department == accounts.ADMIN_DEPARTMENT else "clerk"
            accounts.add(conn, username, department, role, FIRST)
    server = start_portal(tmp_path_factory.mktemp("portal"), workers=2)
    yield server
    stop_portal(server)


def start_portal(folder: Path, *, workers: int) -> Server:
    """`cityops portal` on a free loopback port, over the session's warehouse, once it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    gate, log = folder / "gate", folder / "server.log"
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(PAUSE), os.environ.get("PYTHONPATH")) if p),
        "CITYOPS_TEST_GATE": str(gate),
        "CITYOPS_TEST_GATE_AT": "staged",
        "CITYOPS_PORTAL_WORKERS": str(workers),
        "CITYOPS_PORTAL_BUILD": "off",  # the marts refresh runs dbt: a minute the tests do not spend
        "CITYOPS_MAX_FILE_MB": str(MAX_FILE_MB),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(CITYOPS), "portal", "--port", str(port)], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for("the portal to start", healthy, timeout=180, detail=log.read_text)
    return Server(url, process, gate, log)


def stop_portal(server: Server, *, kill: bool = False) -> None:
    """Stopped as a service manager stops it (SIGTERM), or `kill`ed with every process of it
    (SIGKILL: a crash, a container killed); either way nothing of it may stay behind."""
    process = server.process
    descendants = psutil.Process(process.pid).children(recursive=True)  # its upload workers, their GX workers
    if kill:
        for victim in [process, *descendants]:
            with contextlib.suppress(psutil.NoSuchProcess):
                victim.kill()
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
    _, alive = psutil.wait_procs(descendants, timeout=30)
    left = [" ".join(p.cmdline()[-3:]) for p in alive]
    for leftover in alive:
        leftover.kill()
    assert not left, f"the portal stopped but left processes running: {left}"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]*)"', html).group(1)


def login(server: Server, username: str) -> httpx.Client:
    """A client logged in as `username`, its first password changed if it had to be."""
    client = httpx.Client(base_url=server.url, timeout=60)
    for password in (NEW, FIRST):
        form = client.get("/login")
        answer = client.post("/login", data={"username": username, "password": password, "csrf": csrf_of(form.text)})
        if answer.status_code == 303:
            break
    else:
        raise AssertionError(f"{username} could not log in: {answer.text}")
    if answer.headers["location"] == "/password":
        page = client.get("/password")
        changed = client.post(
            "/password", data={"current": FIRST, "new": NEW, "again": NEW, "csrf": csrf_of(page.text)}
        )
        assert changed.status_code == 303, changed.text
    return client


def upload(client: httpx.Client, path: Path, dataset: str, period: str, *, name: str | None = None) -> httpx.Response:
    form = client.get("/upload")
    with path.open("rb") as fh:
        return client.post(
            "/upload",
            data={"dataset": dataset, "period": period, "csrf": csrf_of(form.text)},
            files={"file": (name or path.name, fh)},
        )


def answer(client: httpx.Client, location: str, deadline_s: float = 300) -> httpx.Response:
    """The answer page, once the upload is decided (the progress page refreshes until then)."""

    def decided() -> httpx.Response | None:
        page = client.get(location)
        return page if 'http-equiv="refresh"' not in page.text else None

    return wait_for(f"the answer at {location}", decided, timeout=deadline_s)
