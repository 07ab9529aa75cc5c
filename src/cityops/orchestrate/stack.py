"""`cityops stack up|down|status`: the production stack on this machine, without Docker.

Airflow 3's api-server, scheduler, dag-processor, triggerer and a Celery worker, started
from the locked environment with the commands and settings of docker-compose.yml
(cityops.orchestrate.stack_config): CeleryExecutor with Redis as the broker, Airflow's
metadata in its own database on a PostgreSQL server, the warehouse on CITYOPS_WAREHOUSE_URL
or the embedded one. Everything it keeps is under CITYOPS_HOME: the settings of the running
stack and a pid file per service in `stack/`, the services' logs in `logs/stack/`, the task
logs in `logs/airflow-stack/`, the generated secrets (JWT secret, Fernet key, the admin's
password) in `secrets/`.

Each service runs in a session of its own, and every process it starts (Celery's pool,
each task's supervisor and runner, which Airflow puts in process groups of their own) stays
in that session: `down` stops them all by session, and `status` counts any left behind.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cityops.errors import StackFailed, UsageError
from cityops.orchestrate.naming import DBT_POOL_ARGS
from cityops.orchestrate.stack_config import ADMIN, DEFAULTS, MIGRATE, SERVICES, WORKER, Place, airflow_environment
from cityops.settings import PROJECT_ROOT, Home

log = logging.getLogger("cityops.stack")
DEFAULT_METADATA_URL = "postgresql://postgres@127.0.0.1:5432/cityops_airflow"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class Settings:
    """The stack's addresses: from CITYOPS_STACK_* (or the defaults), kept in stack/settings.json."""

    metadata_url: str = DEFAULT_METADATA_URL
    broker_url: str = DEFAULT_BROKER_URL
    port: int = DEFAULT_PORT  # the api-server; the next three ports serve health and logs
    warehouse_url: str | None = None
    # Airflow settings with a default (stack_config.DEFAULTS), as the operator's environment sets them
    tunables: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            metadata_url=os.environ.get("CITYOPS_STACK_METADATA_URL", DEFAULT_METADATA_URL),
            broker_url=os.environ.get("CITYOPS_STACK_BROKER_URL", DEFAULT_BROKER_URL),
            port=int(os.environ.get("CITYOPS_STACK_PORT", DEFAULT_PORT)),
            warehouse_url=os.environ.get("CITYOPS_WAREHOUSE_URL") or None,
            tunables={key: os.environ.get(key, value) for key, value in DEFAULTS.items()},
        )

    @property
    def ports(self) -> dict[str, int]:
        return {"scheduler_health": self.port + 1, "worker_log": self.port + 2, "trigger_log": self.port + 3}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sqlalchemy_metadata_url(self) -> str:
        return self.metadata_url.replace("postgresql://", "postgresql+psycopg://", 1)


class Stack:
    """The stack of one CITYOPS_HOME: its files, its processes, its secrets."""

    def __init__(self, home: Home | None = None) -> None:
        self.home = home or Home.from_env()
        self.dir = self.home.root / "stack"
        self.logs = self.home.logs / "stack"

    # -- files -------------------------------------------------------------------------------
    def pid_file(self, service: str) -> Path:
        return self.dir / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.logs / f"{service}.log"

    @property
    def settings_file(self) -> Path:
        return self.dir / "settings.json"

    def settings(self) -> Settings:
        """The running stack's settings, else those of the environment."""
        if self.settings_file.is_file():
            return Settings(**json.loads(self.settings_file.read_text()))
        return Settings.from_env()

    def secret(self, name: str, make) -> str:
        """A secret made once and kept under CITYOPS_HOME/secrets (mode 0600)."""
        path = self.home.root / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(make())
        return path.read_text().strip()

    def admin_password(self) -> str:
        return self.secret("airflow-admin-password", lambda: secrets.token_urlsafe(12))

    @property
    def passwords_file(self) -> Path:
        return self.home.root / "secrets" / "airflow-passwords.json"

    # -- environment ---------------------------------------------------------------------------
    def place(self, settings: Settings) -> Place:
        jwt = self.secret("airflow-jwt-secret", lambda: secrets.token_urlsafe(48))
        fernet = self.secret("airflow-fernet-key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode())
        return Place(
            home=str(self.home.root),
            dags=str(PROJECT_ROOT / "dags"),
            logs=str(self.home.logs / "airflow-stack"),
            metadata_url=settings.sqlalchemy_metadata_url,
            broker_url=settings.broker_url,
            api_host="127.0.0.1",
            api_port=str(settings.port),
            api_url=settings.api_url,
            scheduler_health_port=str(settings.ports["scheduler_health"]),
            worker_log_port=str(settings.ports["worker_log"]),
            trigger_log_port=str(settings.ports["trigger_log"]),
            jwt_secret=jwt,
            fernet_key=fernet,
            users=f"{ADMIN}:admin",
            passwords_file=str(self.passwords_file),
            pii_key=os.environ.get("CITYOPS_PII_KEY") or None,
            warehouse_url=settings.warehouse_url,
            alert_webhook=os.environ.get("CITYOPS_ALERT_WEBHOOK") or None,
            defaults=settings.tunables,
        )

    def environment(self, settings: Settings, service: str) -> dict[str, str]:
        env = {**os.environ, **airflow_environment(self.place(settings))}
        env.update(
            {
                "AIRFLOW_HOME": str(self.dir / "airflow"),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            }
        )
        env.pop("CITYOPS_AIRFLOW_EMBEDDED", None)  # a real triggerer: the dbt tasks defer
        return env

    # -- processes -----------------------------------------------------------------------------
    def sessions(self, service: str | None = None) -> dict[str, int]:
        """The session of each service (its first process's pid, kept in stack/<service>.pid)."""
        found = {}
        for name in [service] if service else SERVICES:
            path = self.pid_file(name)
            if path.is_file():
                found[name] = int(path.read_text())
        return found

    def processes(self, service: str | None = None) -> list[int]:
        """Every live process of the stack's sessions (of one service, if given).

        Each service starts in a session of its own, and nothing under it starts another:
        Celery's pool, a task's supervisor and its runner (in a process group of its own)
        all stay in the worker's session, even once their parent is gone.
        """
        sessions = set(self.sessions(service).values())
        return sorted(pid for pid, sid in _live_sessions().items() if sid in sessions and pid != os.getpid())

    def pid(self, service: str) -> int | None:
        path = self.pid_file(service)
        if not path.is_file():
            return None
        pid = int(path.read_text())
        return pid if _alive(pid) else None

    def start_service(self, service: str, settings: Settings | None = None, **extra_env: str) -> int:
        """Start one service in a session of its own; its pid (also in stack/<service>.pid)."""
        settings = settings or self.settings()
        if self.processes(service):
            raise UsageError(f"{service} is already running (pids {self.processes(service)})")
        self.logs.mkdir(parents=True, exist_ok=True)
        airflow = Path(sys.executable).with_name("airflow")
        with self.log_file(service).open("a", encoding="utf-8") as out:
            out.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} airflow {' '.join(SERVICES[service])}\n")
            out.flush()
            process = subprocess.Popen(
                [str(airflow), *SERVICES[service]],
                env={**self.environment(settings, service), **extra_env},
                cwd=self.dir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file(service).write_text(str(process.pid))
        return process.pid

    def kill_service(self, service: str, sig: int = signal.SIGKILL) -> list[int]:
        """Send `sig` to every process of the service (Celery's pool and task runners too)."""
        pids = self.processes(service)
        for pid in pids:
            _signal(pid, sig)
        if sig == signal.SIGKILL:  # delivered, not yet done: wait until they are gone
            _wait_gone(lambda: self.processes(service), 10)
        return pids

    def stop_service(self, service: str, timeout: float = 30) -> None:
        """SIGTERM (Celery finishes nothing new and exits), then SIGKILL what is left after `timeout`."""
        self.kill_service(service, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.processes(service) and time.monotonic() < deadline:
            time.sleep(0.3)
        self.kill_service(service, signal.SIGKILL)
        _wait_gone(lambda: self.processes(service), 10)
        self.pid_file(service).unlink(missing_ok=True)

    # -- up / down / status ----------------------------------------------------------------------
    def up(self, settings: Settings | None = None, timeout: float = 300) -> dict[str, Any]:
        """Start every service and wait until each is healthy; the status."""
        running = [service for service in SERVICES if self.pid(service)]
        if running:
            raise UsageError(f"the stack of {self.home.root} is already running ({', '.join(running)}); see `status`")
        settings = settings or Settings.from_env()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(json.dumps(asdict(settings), indent=2))
        try:
            self._prepare(settings)
            for service in SERVICES:
                self.start_service(service, settings)
            self.wait_healthy(timeout)
        except BaseException:
            self.down()
            raise
        return self.status()

    def _prepare(self, settings: Settings) -> None:
        self.home.ensure()
        taken = [port for port in (settings.port, *settings.ports.values()) if not _bindable(port)]
        if taken:
            raise StackFailed(f"port(s) {taken} are taken: set CITYOPS_STACK_PORT to a free range of four")
        _check_redis(settings.broker_url)
        create_metadata_database(settings.metadata_url)
        if not settings.warehouse_url:
            from cityops.load import warehouse

            warehouse.start(self.home)
        self.passwords_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.passwords_file.write_text(json.dumps({ADMIN: self.admin_password()}))
        self.passwords_file.chmod(0o600)
        self.logs.mkdir(parents=True, exist_ok=True)
        airflow = Path(sys.executable).with_name("airflow")
        for step in (MIGRATE, DBT_POOL_ARGS):  # the schema, then the dbt build's pool of one
            with self.log_file("airflow-init").open("a", encoding="utf-8") as out:
                done = subprocess.run(
                    [str(airflow), *step],
                    env=self.environment(settings, "airflow-init"),
                    cwd=self.dir,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if done.returncode != 0:
                raise StackFailed(
                    f"`airflow {' '.join(step[:3])}` failed (exit {done.returncode}):\n"
                    f"{tail(self.log_file('airflow-init'))}"
                )

    def wait_healthy(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            dead = [service for service in SERVICES if not self.pid(service)]
            if dead:
                raise StackFailed(
                    "stopped while starting: " + "; ".join(f"{s}:\n{tail(self.log_file(s))}" for s in dead)
                )
            health = self.health()
            if all(health.values()):
                return
            if time.monotonic() > deadline:
                sick = [name for name, ok in health.items() if not ok]
                raise StackFailed(
                    f"not healthy within {timeout:.0f}s: {', '.join(sick)}\n"
                    + "\n".join(f"{s}:\n{tail(self.log_file(s))}" for s in SERVICES)
                )
            time.sleep(1)

    def health(self) -> dict[str, bool]:
        """Each service's health, as Airflow itself reports it."""
        settings = self.settings()
        api = _get_json(f"{settings.api_url}/api/v2/monitor/health") or {}
        scheduler = _answers(f"http://127.0.0.1:{settings.ports['scheduler_health']}/health")
        return {
            "airflow-apiserver": api.get("metadatabase", {}).get("status") == "healthy",
            "airflow-scheduler": scheduler and api.get("scheduler", {}).get("status") == "healthy",
            "airflow-dag-processor": api.get("dag_processor", {}).get("status") == "healthy",
            "airflow-triggerer": api.get("triggerer", {}).get("status") == "healthy",
            WORKER: self.worker_ready(settings),
        }

    def worker_ready(self, settings: Settings | None = None) -> bool:
        """The running worker answers Celery's ping (its own pid among the replies)."""
        pid = self.pid(WORKER)
        if not pid:
            return False
        from celery import Celery

        app = Celery(broker=(settings or self.settings()).broker_url)
        try:
            stats = app.control.inspect(timeout=1.0).stats() or {}
        except Exception:  # the broker is not there (yet): not ready
            return False
        finally:
            app.close()
        return any(reply.get("pid") == pid for reply in stats.values())

    def down(self, timeout: float = 30) -> list[int]:
        """Stop every process of the stack; the pids that had to be killed afterwards (none, normally)."""
        for service in reversed(list(SERVICES)):
            self.kill_service(service, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.3)
        stragglers = self.processes()
        for pid in stragglers:
            _signal(pid, signal.SIGKILL)
        _wait_gone(self.processes, 10)
        left = self.processes()
        if left:
            raise StackFailed(f"processes {left} of the stack would not stop, even on SIGKILL")
        for service in SERVICES:
            self.pid_file(service).unlink(missing_ok=True)
        self.settings_file.unlink(missing_ok=True)
        return stragglers

    def status(self) -> dict[str, Any]:
        settings = self.settings()
        health = self.health() if any(self.pid(s) for s in SERVICES) else dict.fromkeys(SERVICES, False)
        return {
            "api": settings.api_url,
            "login": f"{ADMIN} / {self.home.root / 'secrets' / 'airflow-admin-password'}",
            "services": {
                service: {"pid": self.pid(service), "healthy": health[service], "log": str(self.log_file(service))}
                for service in SERVICES
            },
            "processes": len(self.processes()),
        }


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            probe.bind(("0.0.0.0", port))  # Airflow's log servers bind every interface
        except OSError:
            return False
    return True


def _live_sessions() -> dict[int, int]:
    """pid -> session id of every process that is not a zombie."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":  # state, ppid, pgrp, session
            found[int(entry.name)] = int(fields[3])
    return found


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_gone(find, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while find() and time.monotonic() < deadline:
        time.sleep(0.2)


def tail(path: Path, lines: int = 30) -> str:
    if not path.is_file():
        return f"  ({path} is empty)"
    return "\n".join("  " + line for line in path.read_text(errors="replace").splitlines()[-lines:])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise StackFailed(f"the Celery broker (Redis) at {url} does not answer: {exc}") from exc


def _admin_conninfo(metadata_url: str) -> tuple[str, str]:
    from sqlalchemy.engine import make_url

    url = make_url(metadata_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    return admin, url.database or ""


def create_metadata_database(metadata_url: str) -> None:
    """Airflow's metadata database on its server, created when missing."""
    import psycopg
    from psycopg import sql

    admin, name = _admin_conninfo(metadata_url)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise StackFailed(f"cannot create Airflow's metadata database {name}: {str(exc).strip()}") from exc


def drop_metadata_database(metadata_url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_conninfo(metadata_url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


class Api:
    """Airflow's REST API (/api/v2) as the admin, with a token from /auth/token."""

    def __init__(self, stack: Stack) -> None:
        self.base = stack.settings().api_url
        self.password = stack.admin_password()
        self.token = ""

    def _request(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def login(self) -> Api:
        self.token = ""
        answer = self._request("POST", "/auth/token", {"username": ADMIN, "password": self.password})
        self.token = answer["access_token"]
        return self

    def get(self, path: str) -> Any:
        if not self.token:
            self.login()
        return self._request("GET", f"/api/v2{path}")

    def post(self, path: str, body: dict) -> Any:
        if not self.token:
            self.login()
        return self._request("POST", f"/api/v2{path}", body)
