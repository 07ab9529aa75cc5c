"""The portal's accounts and sessions, kept in the warehouse (`portal` schema, load/schema.py).

- An account belongs to one department (as the contracts spell it); the operations centre's
  accounts have the `admin` role and see every department.
- Passwords are argon2id hashes (argon2-cffi); a new or reset password must be changed at
  the next login.
- MAX_FAILURES wrong passwords in a row lock the account for LOCK_MINUTES.
- A session is a random token: the browser holds it signed (app.py), the warehouse holds
  only its sha256, with the session's CSRF token; logout deletes the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cityops.errors import UsageError
from cityops.load.roles import department_codes

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
MIN_PASSWORD = 10
ADMIN_DEPARTMENT = "区城运中心"
ROLES = ("clerk", "admin")
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Account:
    username: str
    department: str
    role: str
    must_change: bool
    disabled: bool
    failed_logins: int
    locked_until: dt.datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    account: Account
    csrf_token: str
    token_sha256: str


_COLUMNS = "username, department, role, must_change, disabled, failed_logins, locked_until"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")


def get(conn: psycopg.Connection, username: str) -> Account | None:
    row = conn.execute(f"select {_COLUMNS} from portal.accounts where username = %s", (username,)).fetchone()
    return Account(*row) if row else None


def listing(conn: psycopg.Connection) -> list[Account]:
    rows = conn.execute(f"select {_COLUMNS} from portal.accounts order by department, username").fetchall()
    return [Account(*r) for r in rows]


def add(conn: psycopg.Connection, username: str, department: str, role: str, password: str | None = None) -> str:
    """A new account; its first password (generated unless given), to be changed at first login."""
    if department not in department_codes():
        known = ", ".join(department_codes())
        raise UsageError(f"unknown department '{department}'; known: {known}")
    if role not in ROLES:
        raise UsageError(f"unknown role '{role}'; one of: {', '.join(ROLES)}")
    if role == "admin" and department != ADMIN_DEPARTMENT:
        raise UsageError(f"only {ADMIN_DEPARTMENT} accounts may be admin")
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise UsageError("a username is letters, digits, '.', '-' or '_'")
    first = password or generate_password()
    check_password_rule(first)
    try:
        conn.execute(
            "insert into portal.accounts (username, department, role, password_hash) values (%s, %s, %s, %s)",
            (username, department, role, _HASHER.hash(first)),
        )
    except psycopg.errors.UniqueViolation:
        raise UsageError(f"the account '{username}' exists; use `cityops portal users reset`") from None
    return first


def reset(conn: psycopg.Connection, username: str, password: str | None = None) -> str:
    """A new first-time password; unlocks and re-enables the account, ends its sessions."""
    first = password or generate_password()
    check_password_rule(first)
    found = conn.execute(
        "update portal.accounts set password_hash = %s, must_change = true, disabled = false, "
        "failed_logins = 0, locked_until = null where username = %s returning username",
        (_HASHER.hash(first), username),
    ).fetchone()
    if not found:
        raise UsageError(f"no account '{username}'")
    conn.execute("delete from portal.sessions where username = %s", (username,))
    return first


def disable(conn: psycopg.Connection, username: str) -> None:
    found = conn.execute(
        "update portal.accounts set disabled = true where username = %s returning username", (username,)
    ).fetchone()
    if not found:
        raise UsageError(f"no account '{username}'")
    conn.execute("delete from portal.sessions where username = %s", (username,))


def authenticate(conn: psycopg.Connection, username: str, password: str) -> tuple[Account | None, str]:
    """(the account, "ok") or (None or the account, why not: unknown | disabled | locked | wrong)."""
    with conn.transaction():
        row = conn.execute(
            "select password_hash from portal.accounts where username = %s for update", (username,)
        ).fetchone()
        account = get(conn, username)
        if row is None or account is None:
            _HASHER.hash(password)  # the same time whether or not the account exists
            return None, "unknown"
        if account.disabled:
            return account, "disabled"
        if account.locked_until and account.locked_until > dt.datetime.now(dt.UTC):
            return account, "locked"
        try:
            _HASHER.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            conn.execute(
                "update portal.accounts set failed_logins = failed_logins + 1, locked_until = case "
                "when failed_logins + 1 >= %s then now() + make_interval(mins => %s) else locked_until end "
                "where username = %s",
                (MAX_FAILURES, LOCK_MINUTES, username),
            )
            account = get(conn, username)
            return account, "locked" if account.failed_logins >= MAX_FAILURES else "wrong"
        conn.execute(
            "update portal.accounts set failed_logins = 0, locked_until = null where username = %s", (username,)
        )
        if _HASHER.check_needs_rehash(row[0]):
            conn.execute(
                "update portal.accounts set password_hash = %s where username = %s", (_HASHER.hash(password), username)
            )
    return get(conn, username), "ok"


def change_password(conn: psycopg.Connection, username: str, password: str) -> None:
    check_password_rule(password)
    conn.execute(
        "update portal.accounts set password_hash = %s, must_change = false, password_changed_at = now() "
        "where username = %s",
        (_HASHER.hash(password), username),
    )


def verify_password(conn: psycopg.Connection, username: str, password: str) -> bool:
    row = conn.execute("select password_hash from portal.accounts where username = %s", (username,)).fetchone()
    try:
        return bool(row) and _HASHER.verify(row[0], password)
    except (VerificationError, InvalidHashError):
        return False


def open_session(conn: psycopg.Connection, username: str) -> str:
    """A new session for the account; the token the browser keeps (signed)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        "insert into portal.sessions (token_sha256, username, csrf_token, expires_at) "
        "values (%s, %s, %s, now() + make_interval(hours => %s))",
        (_sha(token), username, secrets.token_urlsafe(32), SESSION_HOURS),
    )
    conn.execute("delete from portal.sessions where expires_at < now()")
    return token


def session(conn: psycopg.Connection, token: str) -> Session | None:
    row = conn.execute(
        "select s.csrf_token, s.token_sha256, "
        + ", ".join(f"a.{c.strip()}" for c in _COLUMNS.split(","))
        + " from portal.sessions s join portal.accounts a using (username) "
        "where s.token_sha256 = %s and s.expires_at > now() and not a.disabled",
        (_sha(token),),
    ).fetchone()
    return Session(Account(*row[2:]), row[0], row[1]) if row else None


def close_session(conn: psycopg.Connection, token_sha256: str) -> None:
    conn.execute("delete from portal.sessions where token_sha256 = %s", (token_sha256,))
