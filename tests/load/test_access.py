"""Access: least-privilege roles and row-level security by department, tried with real roles
(SET ROLE) on the embedded server; personal data kept out of logs and reports; the
quarantine private; no secret in the repository."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import psycopg
import pytest

from cityops.extract.pii import PersonalHasher
from cityops.ingest import ingest
from cityops.load.roles import department_codes, department_role
from cityops.load.warehouse import connect
from cityops.settings import Home
from tests.fixtures.commands import ROOT, cityops
from tests.fixtures.db import query
from tests.fixtures.garbage import table, write
from tests.fixtures.rows import hotline, month_file, phone, sheet, valid_rows


def _water_file(tmp_path: Path) -> tuple[Path, str]:
    path = month_file(tmp_path, "water_quality", valid_rows("water_quality"))
    return path, path.suffix


def _login(conn: psycopg.Connection, user: str, *groups: str) -> None:
    conn.execute(
        f"do $$ begin create role {user} login; exception when duplicate_object then null; end $$;"
        + "".join(f"grant {g} to {user};" for g in groups)
    )


def _as(conn: psycopg.Connection, user: str, sql: str) -> list[tuple]:
    conn.execute(f"set role {user}")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.execute("reset role")


@pytest.fixture
def two_departments(wh, tmp_path):
    """garbage_sorting (区绿化市容局) and water_quality (区水务局) loaded, grants applied."""
    (tmp_path / "water").mkdir()
    water = _water_file(tmp_path / "water")
    assert ingest(write(tmp_path / "2025-03.xlsx", table()), "garbage_sorting", "2025-03").status == "loaded"
    assert ingest(water[0], "water_quality", "2025-03").status == "loaded"
    granted = cityops("warehouse", "grants", "--json")
    assert granted.returncode == 0, granted.stderr
    codes = department_codes()
    greening, water_role = department_role(codes["区绿化市容局"]), department_role(codes["区水务局"])
    with connect(wh) as conn:
        _login(conn, "h9_greening_clerk", greening)
        _login(conn, "h9_water_clerk", water_role)
        _login(conn, "h9_bi_screen", "cityops_reporting")
        _login(conn, "h9_dbt", "cityops_transformer")
    return wh


def test_a_department_account_sees_only_its_own_datasets(two_departments):
    with connect(two_departments) as conn:
        total = {
            ds: conn.execute(f"select count(*) from raw.{ds}").fetchone()[0]
            for ds in ("garbage_sorting", "water_quality")
        }
        assert min(total.values()) > 0
        for user, own, other in (
            ("h9_greening_clerk", "garbage_sorting", "water_quality"),
            ("h9_water_clerk", "water_quality", "garbage_sorting"),
        ):
            assert _as(conn, user, f"select count(*) from raw.{own}") == [(total[own],)]
            assert _as(conn, user, f"select count(*) from raw.{other}") == [(0,)], f"{user} sees {other}"
            seen = {r[0] for r in _as(conn, user, "select distinct dataset from audit.ingest_batches")}
            assert seen == {own}
            checks = {r[0] for r in _as(conn, user, "select distinct dataset from audit.validation_results")}
            assert checks == {own}
        # the services see every dataset
        assert _as(conn, "h9_dbt", "select count(distinct dataset) from audit.ingest_batches") == [(2,)]
        assert _as(conn, "h9_dbt", "select count(*) from raw.water_quality") == [(total["water_quality"],)]


REFUSED = [
    ("h9_greening_clerk", "insert into raw.garbage_sorting (_batch_id, _row, _source_file) values (null, 1, 'x')"),
    ("h9_greening_clerk", "update audit.ingest_batches set status = 'rejected'"),
    ("h9_greening_clerk", "delete from audit.validation_results"),
    ("h9_greening_clerk", "create table stage.mine (x int)"),
    ("h9_greening_clerk", "select count(*) from marts.dim_street"),
    ("h9_bi_screen", "select count(*) from raw.garbage_sorting"),
    ("h9_bi_screen", "select count(*) from audit.ingest_batches"),
    ("h9_bi_screen", "create table raw.mine (x int)"),
    ("h9_dbt", "update audit.ingest_batches set status = 'rejected'"),
    ("h9_dbt", "delete from raw.garbage_sorting"),
]


def test_least_privilege_refuses_what_a_role_is_not_for(two_departments):
    with connect(two_departments) as conn:
        conn.execute("create schema if not exists marts; create table if not exists marts.dim_street (x int)")
        for user, statement in REFUSED:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                _as(conn, user, statement)
        assert conn.execute("select count(*) from audit.ingest_batches where status = 'current'").fetchone() == (2,)
        assert conn.execute("select count(*) from raw.garbage_sorting").fetchone() == (10,)


def test_grants_are_idempotent_and_every_dataset_has_a_department(wh):
    first = cityops("warehouse", "grants")
    second = cityops("warehouse", "grants")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout
    assert "(no department role" not in first.stdout, first.stdout
    secured = query(
        wh,
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname in ('raw', 'audit') and c.relkind in ('r', 'p') and not c.relrowsecurity",
    )
    assert secured in ([], [("audit.dataset_access",)]), f"tables without row-level security: {secured}"


# --- personal data ----------------------------------------------------------------------------


@pytest.mark.slow
def test_no_clear_phone_number_or_key_in_logs_or_reports_and_the_quarantine_is_private(wh, tmp_path):
    key = "h9-distinctive-pii-key-0123456789"
    rows = [hotline(i) for i in range(12)]
    rows[3]["channel"] = "传真"  # one bad cell: the file is rejected, reports are written
    rows[5]["description"] = "请回电，电话见上"
    path = write(tmp_path / "2025-03.xlsx", sheet("hotline_cases", rows))
    done = subprocess.run(
        [str(Path(ROOT / ".venv/bin/cityops")), "-v", "ingest", str(path), "--dataset", "hotline_cases",
         "--period", "2025-03", "--json"],
        env={**os.environ, "CITYOPS_HOME": str(wh.root), "CITYOPS_PII_KEY": key},
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    clear = {re.sub(r"\D", "", phone(i))[-11:] for i in range(len(rows))}
    pattern = re.compile("|".join(sorted(clear)))
    searched = [("stdout", done.stdout), ("stderr", done.stderr)]
    for folder in (wh.logs, wh.quarantine, wh.root / "validate", wh.archive):
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            if file.suffix in {".json", ".md", ".html", ".log", ".txt"}:
                searched.append((str(file), file.read_text(encoding="utf-8", errors="replace")))
    assert any("report.json" in name for name, _ in searched), "the rejection wrote its reports"
    assert any(name.endswith("cityops.log") for name, _ in searched), "the run wrote its log"
    for name, text in searched:
        digits = re.sub(r"[\s\-+]", "", text)
        assert not pattern.search(digits), f"a clear phone number in {name}"
        assert key not in text, f"the PII key in {name}"

    # the quarantine: the service user only (the file itself holds phone numbers in clear)
    assert stat.S_IMODE(wh.quarantine.stat().st_mode) == 0o700
    stored = Path(next(iter(query(wh, "select stored_file from audit.ingest_batches")))[0])
    assert stored.is_relative_to(wh.quarantine)
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_the_pii_key_file_is_made_once_private_and_never_empty(tmp_path, monkeypatch):
    monkeypatch.delenv("CITYOPS_PII_KEY", raising=False)
    home = Home(tmp_path / "home")
    first = PersonalHasher(home)("13912340000")
    key = home.root / "secrets" / "pii.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_text().strip()) >= 64
    assert PersonalHasher(home)("139 1234 0000") == first, "the same key the next time"
    key.write_text("")  # a key file truncated (a full disk, a bad copy) must not become an empty key
    with pytest.raises(RuntimeError, match="pii.key"):
        PersonalHasher(home)


# --- secrets in the repository -----------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?!\*\*\*@|X{10}@)[^/\s@'\"{}$]{3,}@"),
    "password assigned": re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api_key|apikey|token)\b\s*[:=]\s*['\"]?(?!\$\{|\{\{|\*{3})[A-Za-z0-9/+_\-!@#%^&*]{8,}"
    ),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
}
ALLOWED = {"test-key-not-a-secret"}  # the test suite's own HMAC key, named as such
# Superset masks a database password as X{10} in its exports; the YAML carries only that mask.


def find_secrets(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary: spreadsheets and the like
        for kind, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if not any(allowed in match.group(0) for allowed in ALLOWED):
                    found.append(f"{path}: {kind}: {match.group(0)[:60]}")
    return found


def test_no_secret_in_the_repository():
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]
    assert len(files) > 50
    assert find_secrets(files) == []


def test_the_secret_finder_finds_what_it_looks_for(tmp_path):
    planted = tmp_path / "settings.py"
    dashes = "-" * 5  # built from pieces, so that this file does not trip the finder itself
    planted.write_text(
        f"DB = 'postgresql://cityops:{'s3cret' + 'Passw0rd'}@db.example/cityops'\n"
        f"pass{'word'} = '{'hunter2' * 2}'\n"
        f"{dashes}BEGIN OPENSSH {'PRIVATE'} KEY{dashes}\n"
    )
    assert len(find_secrets([planted])) == 3
    fine = tmp_path / "fine.py"
    fine.write_text("url = os.environ['CITYOPS_WAREHOUSE_URL']\npassword = os.environ.get('PGPASSWORD')\n")
    assert find_secrets([fine]) == []
