"""`cityops portal users add|list|disable|reset`: accounts in the warehouse, argon2 hashes only."""

from __future__ import annotations

from click.testing import CliRunner

from cityops.cli.main import main
from cityops.load.schema import ensure_portal
from cityops.load.warehouse import connect
from cityops.portal import accounts


def _run(*args: str):
    return CliRunner().invoke(main, ["portal", "users", *args])


def test_users_are_added_listed_disabled_and_reset(home):
    with connect(home) as conn:
        with conn.transaction():
            ensure_portal(conn)
        conn.execute("delete from portal.accounts where username like 'cli.%'")
    added = _run("add", "cli.clerk", "--department", "区水务局")
    assert added.exit_code == 0, added.output
    first = added.output.rsplit("first password ", 1)[1].strip()
    with connect(home) as conn:
        stored = conn.execute("select password_hash from portal.accounts where username = 'cli.clerk'").fetchone()[0]
        assert stored.startswith("$argon2id$") and first not in stored
        assert accounts.authenticate(conn, "cli.clerk", first)[1] == "ok"
    assert "cli.clerk\t区水务局\tclerk, must change password" in _run("list").output
    assert _run("add", "cli.boss", "--department", "区水务局", "--admin").exit_code == 2  # admin: 区城运中心 only
    assert _run("add", "cli.clerk", "--department", "区水务局").exit_code == 2  # exists
    assert _run("disable", "cli.clerk").exit_code == 0
    with connect(home) as conn:
        assert accounts.authenticate(conn, "cli.clerk", first)[1] == "disabled"
    reset = _run("reset", "cli.clerk")
    again = reset.output.split("new first password ", 1)[1].split()[0]
    with connect(home) as conn:
        assert accounts.authenticate(conn, "cli.clerk", first)[1] == "wrong"
        account, verdict = accounts.authenticate(conn, "cli.clerk", again)
        assert verdict == "ok" and account.must_change and not account.disabled
