"""Are the marts up to date? They are built from the dbt project's files and the decided batches.

After a good build the state of both is written down; a month close that finds it
unchanged skips dbt (a re-run that loaded nothing costs seconds, not a build).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cityops.load.warehouse import connect
from cityops.settings import Home, dbt_project_dir

SKIPPED_BUILD = "dbt build: skipped, the marts are up to date (nothing loaded or changed since)"


def _build_state(home: Home) -> str:
    digest = hashlib.sha256()
    project = dbt_project_dir()
    for path in sorted(p for p in project.rglob("*") if p.is_file() and "target" not in p.parts):
        digest.update(str(path.relative_to(project)).encode() + path.read_bytes())
    with connect(home) as conn:
        exists = conn.execute("select to_regclass('audit.ingest_batches') is not null").fetchone()[0]
        if exists:
            decided = conn.execute(
                "select count(*), max(decided_at) from audit.ingest_batches "
                "where status in ('current', 'superseded', 'withdrawn')"
            ).fetchone()
            digest.update(repr(decided).encode())
    return digest.hexdigest()


def _marker(home: Home) -> Path:
    return home.root / "dbt" / "last_build"


def marts_up_to_date(home: Home | None = None) -> bool:
    """True when neither the batches nor the dbt project changed since the last good build."""
    home = home or Home.from_env()
    marker = _marker(home)
    return marker.exists() and marker.read_text() == _build_state(home)


def record_good_build(home: Home | None = None) -> None:
    home = home or Home.from_env()
    marker = _marker(home)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(_build_state(home))


def build_marts(force: bool = False, home: Home | None = None) -> dict[str, Any]:
    """Build the marts, unless nothing they are built from changed since the last build."""
    from cityops.transform.dbt import build, mart_row_counts

    home = home or Home.from_env()
    if not force and marts_up_to_date(home):
        return {"build": SKIPPED_BUILD, "marts": mart_row_counts(home)}
    result = build(home=home)
    record_good_build(home)
    return {"build": result.summary(), "marts": result.mart_rows}
