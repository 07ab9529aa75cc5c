"""The month's summary: what was loaded or rejected, the marts, the submission calendar and the stale sources.

Written as JSON under CITYOPS_HOME/runs by the month close (in-process or as the Airflow
DAG's last task); `cityops run` prints it (report/console.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cityops.load.warehouse import connect, redact, url
from cityops.report.writer import write_whole
from cityops.settings import Home
from cityops.transform.source_freshness import stale as stale_sources


def summary_path(period: str, home: Home | None = None) -> Path:
    return (home or Home.from_env()).root / "runs" / f"month_close_{period}.json"


def write_summary(
    period: str, files: list[dict[str, Any]], built: dict[str, Any], submissions: list[dict[str, Any]]
) -> dict[str, Any]:
    summary = {"period": period, "ok": True, "files": files, **built, "url": redact(url()), "submissions": submissions}
    with connect() as conn:
        summary["stale_sources"] = stale_sources(conn)  # as of now, whichever month is closed
    path = summary_path(period)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, json.dumps(summary, ensure_ascii=False, indent=2, default=str).encode("utf-8"))
    return summary


def read_summary(period: str, home: Home | None = None) -> dict[str, Any] | None:
    path = summary_path(period, home)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
