"""`cityops portal`: serve the departments' portal; `cityops portal users ...`: its accounts."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg

from cityops.settings import Home

DEFAULT_PORT = 8090
SECRET_FILE = "portal-secret-key"
DEMO_FILE = "portal-demo-accounts"


def _secret_file(home: Home, name: str) -> Path:
    folder = home.root / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / name


def secret_key(home: Home) -> str:
    """CITYOPS_PORTAL_SECRET, else one generated once under CITYOPS_HOME/secrets (mode 0600)."""
    if os.environ.get("CITYOPS_PORTAL_SECRET"):
        return os.environ["CITYOPS_PORTAL_SECRET"]
    path = _secret_file(home, SECRET_FILE)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@contextmanager
def _connected() -> Iterator[psycopg.Connection]:
    from cityops.load.schema import ensure_portal
    from cityops.load.warehouse import connect

    with connect(Home.from_env().ensure()) as conn:
        with conn.transaction():
            ensure_portal(conn)
        yield conn


@click.group("portal", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port to listen on.")
@click.option("--workers", type=int, default=None, help="Upload worker processes (default 2, CITYOPS_PORTAL_WORKERS).")
@click.pass_context
def portal(ctx: click.Context, host: str, port: int, workers: int | None) -> None:
    """The departments' portal: log in, see the calendar, upload, read the answer (FastAPI)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from cityops.load import warehouse
    from cityops.portal.app import create_app
    from cityops.portal.jobs import default_workers

    home = Home.from_env().ensure()
    conninfo = warehouse.conninfo(warehouse.url(home))
    secure = os.environ.get("CITYOPS_PORTAL_SECURE_COOKIES", "") == "1"
    app = create_app(home, conninfo, secret_key(home), workers=workers or default_workers(), secure_cookies=secure)
    click.echo(f"cityops portal on http://{host}:{port}/  (stop with Ctrl-C)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@portal.group("users")
def users() -> None:
    """The portal's accounts: one or more per department, admin for 区城运中心."""


@users.command("add")
@click.argument("username")
@click.option("--department", required=True, help="The department, as the contracts spell it (e.g. 区水务局).")
@click.option("--admin", is_flag=True, help="An operations-centre admin (区城运中心 only): sees every department.")
def users_add(username: str, department: str, admin: bool) -> None:
    """Add an account; prints its first password, to be changed at first login."""
    from cityops.portal import accounts

    with _connected() as conn:
        first = accounts.add(conn, username, department, "admin" if admin else "clerk")
    click.echo(f"{username} ({department}{', admin' if admin else ''}): first password {first}")


@users.command("list")
def users_list() -> None:
    """Every account: department, role, and whether it is disabled, locked or must change its password."""
    import datetime as dt

    from cityops.portal import accounts

    with _connected() as conn:
        found = accounts.listing(conn)
    now = dt.datetime.now(dt.UTC)
    for a in found:
        flags = [a.role]
        if a.disabled:
            flags.append("disabled")
        if a.locked_until and a.locked_until > now:
            flags.append(f"locked until {a.locked_until:%H:%M} UTC")
        if a.must_change:
            flags.append("must change password")
        click.echo(f"{a.username}\t{a.department}\t{', '.join(flags)}")
    if not found:
        click.echo("no accounts yet: cityops portal users add NAME --department 区水务局")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable an account and end its sessions (nothing is deleted)."""
    from cityops.portal import accounts

    with _connected() as conn:
        accounts.disable(conn, username)
    click.echo(f"{username}: disabled")


@users.command("reset")
@click.argument("username")
def users_reset(username: str) -> None:
    """A new first password (unlocks and re-enables the account); printed once."""
    from cityops.portal import accounts

    with _connected() as conn:
        first = accounts.reset(conn, username)
    click.echo(f"{username}: new first password {first} (to be changed at next login)")


@users.command("demo")
def users_demo() -> None:
    """One demo account per department (admin for 区城运中心), created once; prints their first passwords."""
    from cityops.load.roles import department_codes
    from cityops.portal import accounts

    path = _secret_file(Home.from_env(), DEMO_FILE)
    known = dict(line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line) if path.exists() else {}
    with _connected() as conn:
        for department, code in department_codes().items():
            account = accounts.get(conn, code)
            if account is None:
                role = "admin" if department == accounts.ADMIN_DEPARTMENT else "clerk"
                known[code] = accounts.add(conn, code, department, role)
                account = accounts.get(conn, code)
            shown = known.get(code, "?") if account.must_change else "(already changed)"
            click.echo(
                f"  {code:<13} {department}{'（管理员 admin）' if account.is_admin else ''}  first password: {shown}"
            )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"{k}\t{v}\n" for k, v in known.items()))
