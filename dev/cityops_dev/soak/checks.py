"""What must hold after five years of months: each check a verdict with its evidence."""

from __future__ import annotations

import re
from pathlib import Path

from cityops.contracts import all_contracts

REPORT_FILE = re.compile(r"^(report\.(json|md|html)|.*\.marked\.xlsx)$")


def run_all(soak) -> dict[str, dict]:
    checks = {
        "one_current_batch_per_dataset_month": one_current_batch,
        "every_fact_reconciles_with_raw": facts_reconcile,
        "scorecard_has_every_indicator_month": scorecard_complete,
        "audit_and_kept_files_agree": files_agree,
        "no_month_changed_by_a_later_load": marts_stable,
        "every_backfill_succeeded": backfills_ok,
    }
    verdicts = {}
    for name, check in checks.items():
        try:
            ok, detail = check(soak)
        except Exception as exc:  # a check that cannot run is a failed check, with its reason
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        verdicts[name] = {"ok": ok, "detail": detail}
        soak.say(f"check {name}: {'ok' if ok else 'FAILED'} {str(detail)[:300]}")
    return verdicts


def one_current_batch(soak) -> tuple[bool, object]:
    months = [f"{m:%Y-%m}" for m in soak.months]
    with soak.connect() as conn:
        rows = conn.execute(
            "select dataset, to_char(period, 'YYYY-MM'), count(*) filter (where status = 'current') "
            "from audit.ingest_batches group by 1, 2"
        ).fetchall()
    current = {(d, m): n for d, m, n in rows}
    wrong = [(d, m, current.get((d, m), 0)) for d in all_contracts() for m in months if current.get((d, m), 0) != 1]
    return not wrong, {"checked": len(months) * len(all_contracts()), "not_exactly_one": wrong[:20]}


def facts_reconcile(soak) -> tuple[bool, object]:
    from cityops.settings import Home
    from cityops.transform.dbt import invoke

    result = invoke(Home(soak.home), "test", "--select", "tag:reconciliation")
    nodes = [(r.node.attached_node or r.node.name, str(r.status)) for r in result.result or []]
    failed = [n for n, status in nodes if status != "pass"]
    return bool(nodes) and not failed, {"tests": len(nodes), "failed": failed}


def scorecard_complete(soak) -> tuple[bool, object]:
    months = [m for m in soak.months]
    with soak.connect() as conn:
        indicators = conn.execute("select count(*) from reference.ref_indicators").fetchone()[0]
        rows = conn.execute(
            "select count(distinct (indicator_code, month_start)) from marts.kpi_scorecard "
            "where month_start between %s and %s",
            (months[0], months[-1]),
        ).fetchone()[0]
    return rows == indicators * len(months), {"rows": rows, "expected": indicators * len(months)}


def files_agree(soak) -> tuple[bool, object]:
    """Every kept file (not its reports) is one audit row's stored_file, and every stored_file exists."""
    kept = sorted(
        str(p)
        for folder in (soak.home / "archive", soak.home / "quarantine")
        for p in folder.rglob("*")
        if p.is_file() and not REPORT_FILE.match(p.name) and not p.name.startswith(".partial")
    )
    with soak.connect() as conn:
        stored = [
            r[0] for r in conn.execute("select stored_file from audit.ingest_batches where stored_file is not null")
        ]
        unkept = conn.execute(
            "select status, count(*) from audit.ingest_batches where stored_file is null group by 1"
        ).fetchall()
    missing = [s for s in stored if not Path(s).is_file()]
    unrecorded = sorted(set(kept) - set(stored))
    doubled = sorted({s for s in stored if stored.count(s) > 1})
    ok = not missing and not unrecorded and not doubled and len(kept) == len(stored)
    return ok, {
        "kept_files": len(kept),
        "audit_rows_with_a_file": len(stored),
        "audit_rows_without_a_file": dict(unkept),
        "missing": missing[:10],
        "unrecorded": unrecorded[:10],
        "doubled": doubled[:10],
    }


def marts_stable(soak) -> tuple[bool, object]:
    """A month closed in an earlier chunk has the same marts rows in every later snapshot."""
    changed = []
    for index, (closed, before) in enumerate(soak.snapshots):
        for _later_closed, after in soak.snapshots[index + 1 :]:
            for (table, month), digest in before.items():
                if month in closed and after.get((table, month)) != digest:
                    changed.append(f"{table} {month}")
    changed = sorted(set(changed))
    return not changed, {"snapshots": len(soak.snapshots), "changed": changed[:30], "count": len(changed)}


def backfills_ok(soak) -> tuple[bool, object]:
    failed = [c["months"] + ": " + c["error"][-300:] for c in soak.chunks if c["exit"] != 0]
    return not failed, failed


def table(results: dict) -> str:
    lines = ["check                                   result", "-" * 60]
    for name, verdict in results["checks"].items():
        lines.append(f"{name:<40} {'ok' if verdict['ok'] else 'FAILED'}")
    lines.append("")
    lines.append("chunk               s      peak RSS MiB  warehouse MiB  files")
    for c in results["chunks"]:
        lines.append(
            f"{c['months']:<18} {c['seconds']:>6}  {c['peak_rss_mib']:>12}  {c['warehouse_mib']:>13}  {c['files']}"
        )
    lines.append("")
    lines.append("correction loads (one `cityops ingest` each): month, dataset, rows, s, peak RSS MiB")
    for load in results["loads"]:
        lines.append(
            f"  {load['month']} {load['dataset']:<16} {load['rows']!s:>6} {load['seconds']:>6} "
            f"{load['peak_rss_mib']:>8}"
        )
    return "\n".join(lines)
