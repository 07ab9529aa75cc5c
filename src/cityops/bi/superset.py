"""Run Superset locally: its environment, its secrets, its server (see cityops.bi).

Everything Superset keeps goes under CITYOPS_HOME/superset (metadata, server.json),
its log into CITYOPS_HOME/logs/superset.log, its generated secrets into
CITYOPS_HOME/secrets (mode 0600) unless the environment gives them.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cityops.settings import PROJECT_ROOT, Home

BI_DIR = PROJECT_ROOT / "bi" / "superset"
VENV = BI_DIR / ".venv"
LOGIN = "cityops_bi"  # the warehouse user Superset reads as (member of cityops_reporting)
ADMIN = "admin"
DEFAULT_PORT = 8088
SECRETS = {  # environment variable -> file under CITYOPS_HOME/secrets
    "SUPERSET_SECRET_KEY": "superset-secret-key",
    "SUPERSET_ADMIN_PASSWORD": "superset-admin-password",
    "CITYOPS_BI_PASSWORD": "bi-warehouse-password",
}


class SupersetFailed(RuntimeError):
    """Superset could not be installed, set up or started; the message says where to look."""


@dataclass(frozen=True)
class Local:
    home: Home

    @property
    def root(self) -> Path:
        return self.home.root / "superset"

    @property
    def state(self) -> Path:
        return self.root / "server.json"

    @property
    def log(self) -> Path:
        return self.home.logs / "superset.log"


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("uv.lock", "pyproject.toml", "superset_config.py"):
        digest.update((BI_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [shutil.which("python3") or sys.executable, "-m", "uv"]


def install() -> Path:
    """`uv sync --frozen` of bi/superset (a no-op when the lock has not changed); its python."""
    stamp = VENV / ".cityops-synced"
    digest = _lock_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return VENV / "bin" / "python"
    done = subprocess.run(
        [*_uv(), "sync", "--frozen", "--compile-bytecode", "--project", str(BI_DIR)],
        capture_output=True,
        text=True,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)},
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SupersetFailed(f"installing Superset's environment failed: {' / '.join(tail)}")
    stamp.write_text(digest)
    return VENV / "bin" / "python"


def _secret(home: Home, variable: str) -> str:
    if os.environ.get(variable):
        return os.environ[variable]
    path = home.root / "secrets" / SECRETS[variable]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32 if variable == "SUPERSET_SECRET_KEY" else 12))
    return path.read_text().strip()


def admin_password(home: Home) -> str:
    return _secret(home, "SUPERSET_ADMIN_PASSWORD")


def superset_warehouse_url(warehouse_url: str) -> str:
    """The warehouse as Superset (psycopg2) reaches it, as LOGIN, without a password."""
    parts = urlparse(warehouse_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    query = f"?host={socket_dir}" if socket_dir else ""
    return f"postgresql+psycopg2://{LOGIN}@{host}{port}{parts.path}{query}"


def environment(home: Home) -> dict[str, str]:
    """What cityops_bi and the server need: config, home, secrets, where the warehouse is."""
    from cityops.load import warehouse

    local = Local(home)
    local.root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(BI_DIR / "superset_config.py"),
        "SUPERSET_HOME": str(local.root),
        "PYTHONPATH": str(BI_DIR),
        "SUPERSET_ADMIN_USERNAME": ADMIN,
        "CITYOPS_BI_WAREHOUSE_URL": superset_warehouse_url(warehouse.url(home)),
    }
    env.pop("SUPERSET_METADATA_URL", None)  # locally: SQLite under CITYOPS_HOME/superset
    for variable in SECRETS:
        env[variable] = _secret(home, variable)
    return env


def run_bi(home: Home, *args: str, env: dict[str, str] | None = None) -> str:
    """`python -m cityops_bi ARGS` in Superset's environment; its stdout. Output is logged."""
    python = install()
    local = Local(home)
    local.log.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(python), "-m", "cityops_bi", *args],
        capture_output=True,
        text=True,
        env=env or environment(home),
        cwd=BI_DIR,
    )
    with local.log.open("a", encoding="utf-8") as log:
        log.write(f"$ cityops_bi {' '.join(args)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or ["no output"])[-1]
        raise SupersetFailed(f"cityops_bi {args[0]} failed: {last} (full output in {local.log})")
    return done.stdout


def check(dbt_project: Path, assets: Path | None = None) -> list[str]:
    """The static check of the assets against the dbt marts: one line per problem (none: all good)."""
    python = install()
    where = ["--assets", str(assets)] if assets else []
    done = subprocess.run(
        [str(python), "-m", "cityops_bi", *where, "check", "--dbt-project", str(dbt_project)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(BI_DIR)},
        cwd=BI_DIR,
    )
    if done.returncode not in (0, 1) or (done.returncode == 1 and not done.stdout.strip()):
        raise SupersetFailed(f"cityops_bi check failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return done.stdout.splitlines()


def prepare(home: Home) -> None:
    """Warehouse login, Superset's metadata and admin, and the assets imported (idempotent)."""
    from cityops.load import warehouse

    env = environment(home)
    run_bi(home, "login", "--admin-url", warehouse.conninfo(warehouse.url(home)), "--user", LOGIN, env=env)
    template = VENV / f"cityops-metadata-{_lock_digest()}.db"
    run_bi(home, "setup", "--template", str(template), env=env)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port(preferred: int | None) -> int:
    """The port asked for (it must be free), else 8088 if free, else one the system picks."""
    if preferred:
        if not _bindable(preferred):
            raise SupersetFailed(f"port {preferred} on 127.0.0.1 is taken; choose another with --port")
        return preferred
    if preferred is None and _bindable(DEFAULT_PORT):
        return DEFAULT_PORT
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    try:  # reap it first if it is our own child (a test's), or a stopped server looks alive
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def running(home: Home) -> dict[str, object] | None:
    """The server this home started, if it still runs: pid, port, url."""
    state = Local(home).state
    if not state.exists():
        return None
    info = json.loads(state.read_text())
    return info if _alive(int(info["pid"])) else None


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def start(home: Home, port: int | None = None, timeout: float = 600) -> str:
    """Start gunicorn on 127.0.0.1 (one worker: the machine is shared); the URL once healthy."""
    info = running(home)
    if info:
        return str(info["url"])
    local = Local(home)
    chosen = _free_port(port)
    url = f"http://127.0.0.1:{chosen}"
    workers = os.environ.get("CITYOPS_BI_WORKERS", "1")
    command = [str(VENV / "bin" / "gunicorn"), "-w", workers, "--threads", "4", "--timeout", "180",
               "-b", f"127.0.0.1:{chosen}", "superset.app:create_app()"]  # fmt: skip
    log = local.log.open("a", encoding="utf-8")
    process = subprocess.Popen(
        command, env=environment(home), cwd=BI_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    local.state.write_text(json.dumps({"pid": process.pid, "port": chosen, "url": url}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            local.state.unlink(missing_ok=True)
            raise SupersetFailed(f"Superset stopped while starting (exit {process.returncode}); see {local.log}")
        if _healthy(url):
            return url
        time.sleep(2)
    stop(home)
    raise SupersetFailed(f"Superset did not answer on {url} within {timeout:.0f}s; see {local.log}")


def stop(home: Home) -> bool:
    """Stop the server this home started (its process group: gunicorn and its workers)."""
    info = running(home)
    state = Local(home).state
    if not info:
        state.unlink(missing_ok=True)
        return False
    pid = int(info["pid"])
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    state.unlink(missing_ok=True)
    return True
