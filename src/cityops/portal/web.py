"""What every page of the portal needs: the warehouse as the service or as a department,
the signed session cookie, CSRF, the audit trail, and rendering in the clerk's language.
"""

from __future__ import annotations

import hmac
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from psycopg import sql

from cityops.errors import WarehouseUnavailable
from cityops.load.roles import TRANSFORMER, department_codes, department_role
from cityops.periods import SHANGHAI
from cityops.portal import accounts
from cityops.portal.accounts import Account, Session
from cityops.portal.texts import TEXTS, text
from cityops.report.pages import render
from cityops.settings import Home

SESSION_COOKIE = "cityops_session"
LOGIN_COOKIE = "cityops_login"
LANG_COOKIE = "cityops_lang"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


class Refused(Exception):
    """A page the clerk may not see, or that is not there: one sentence, and a status."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        self.status, self.key, self.values = status, key, values


@dataclass
class Portal:
    home: Home
    conninfo: str
    secret: str
    secure_cookies: bool = False

    @property
    def signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="cityops-portal")

    @contextmanager
    def db(self) -> Iterator[psycopg.Connection]:
        try:
            conn = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=10, application_name="cityops-portal"
            )
        except psycopg.OperationalError as exc:
            raise WarehouseUnavailable(str(exc).strip().splitlines()[0]) from exc
        with conn:
            yield conn

    @contextmanager
    def reading_as(self, conn: psycopg.Connection, account: Account) -> Iterator[psycopg.Connection]:
        """A transaction under the department's warehouse role: row-level security decides what it sees.

        The operations centre's admins read as the transformer service, which sees every department."""
        role = TRANSFORMER if account.is_admin else department_role(department_codes()[account.department])
        with conn.transaction():
            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            yield conn

    def sign(self, value: str) -> str:
        return self.signer.dumps(value)

    def unsign(self, value: str | None, max_age: int) -> str | None:
        if not value:
            return None
        try:
            return self.signer.loads(value, max_age=max_age)
        except BadSignature:
            return None

    def set_cookie(self, response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, samesite="strict", secure=self.secure_cookies, path="/"
        )


def lang_of(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def audit(conn: psycopg.Connection, account: Account | None, action: str, target: str | None = None,
          username: str | None = None, **detail: Any) -> None:  # fmt: skip
    """Who did what, when: a row in audit.portal_events (never a password, never a file's content)."""
    conn.execute(
        "insert into audit.portal_events (username, department, action, target, detail) values (%s, %s, %s, %s, %s)",
        (
            account.username if account else username,
            account.department if account else None,
            action,
            target,
            json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        ),
    )


def current_session(portal: Portal, conn: psycopg.Connection, request: Request) -> Session | None:
    token = portal.unsign(request.cookies.get(SESSION_COOKIE), accounts.SESSION_HOURS * 3600)
    return accounts.session(conn, token) if token else None


def require(portal: Portal, conn: psycopg.Connection, request: Request, *, admin: bool = False,
            allow_must_change: bool = False) -> Session:  # fmt: skip
    found = current_session(portal, conn, request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    back = "" if request.method != "GET" or here == "/" else f"?next={urllib.parse.quote(here, safe='')}"
    if found is None:
        raise Redirect(f"/login{back}")
    if found.account.must_change and not allow_must_change:
        raise Redirect(f"/password{back}")
    if admin and not found.account.is_admin:
        raise Refused(403, "not_yours")
    return found


def local_target(target: str | None) -> str:
    """Where to go next: a path of this portal, never another site (`//host`, `/\\host`, `https:`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def after(url: str, target: str) -> str:
    """`url`, carrying where the clerk was going (the calendar's window, a report) when it is not home."""
    return url if target == "/" else f"{url}?next={urllib.parse.quote(target, safe='')}"


def check_csrf(expected: str | None, given: str | None) -> None:
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise Refused(403, "csrf")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def page(request: Request, template: str, *, session: Session | None = None, status: int = 200,
         **context: Any) -> HTMLResponse:  # fmt: skip
    lang = lang_of(request)

    def t(key: str, **values: Any) -> str:
        return text(key, lang, **values)

    html = render(
        f"portal/{template}",
        t=t,
        lang=lang,
        session=session,
        account=session.account if session else None,
        csrf=session.csrf_token if session else context.pop("csrf", ""),
        shanghai=SHANGHAI,
        known=TEXTS,
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def inside(path: str | Path | None, root: Path) -> Path | None:
    """The file, if it is a file under `root` (a stored path is never trusted blindly)."""
    if not path:
        return None
    resolved = Path(path).resolve()
    return resolved if resolved.is_file() and resolved.is_relative_to(root.resolve()) else None
