"""Measures 8 and 9: one month of all eleven datasets end to end; BI queries on five years.

The month's home (bench/work/month) is reused: measure 7 builds on it, and measure 9
then widens its marts to five years by copying each month's rows of kpi_scorecard and
the monthly facts into earlier months (SQL, in the marts only: this measures reading
them, not building them), and queries them as the reporting role.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import statistics
import time
from pathlib import Path

import psycopg
from psycopg import sql

from cityops_dev.bench import inputs
from cityops_dev.bench.core import Config, Row, Sample, Unavailable, cityops, say
from cityops_dev.bench.load import libpq_url

REPORTING_ROLE = "cityops_reporting"
_BUILD_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO cityops\.(\w+): (.*)$")


def month_home(cfg: Config) -> Path:
    """The home where a month was closed; closes one (untimed) when measure 8 did not run."""
    home = cfg.work / "month"
    if not (home / "month-closed").exists():
        _close_month(cfg)
    return home


def _close_month(cfg: Config) -> tuple[float, float, dict]:
    home = cfg.fresh_home("month")
    inputs.month_files(home / "landing", inputs.PERIOD, rows=2_000 if cfg.smoke else None)
    cityops(home, "warehouse", "start")  # a service that runs; its start-up is not the month's
    started = dt.datetime.now()
    run = cityops(home, "run", "--period", inputs.PERIOD, "--json")
    summary = run.json()
    statuses = {f["dataset"]: f["status"] for f in summary.get("files", [])}
    if not summary.get("ok") or len(statuses) < 11 or set(statuses.values()) != {"loaded"}:
        raise RuntimeError(f"the month close did not load all eleven files: {statuses}")
    (home / "month-closed").write_text(json.dumps(summary, ensure_ascii=False, default=str), encoding="utf-8")
    return run.seconds, run.rss_mib, {"phases": _month_phases(home, started, run.seconds), "files": statuses}


def _month_phases(home: Path, started: dt.datetime, total: float) -> dict:
    """Start-up, the ingests (first file read to the dbt call), and dbt + report, from the log."""
    first = build = None
    for line in (home / "logs" / "cityops.log").read_text(encoding="utf-8", errors="replace").splitlines():
        match = _BUILD_LINE.match(line)
        if not match:
            continue
        when = (dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f") - started).total_seconds()
        if match[2] == "ingest" and first is None and "reading" in match[3]:
            first = when
        if match[2] == "build" and build is None:
            build = when
    if first is None or build is None:
        return {}
    return {
        "startup_s": round(first, 1),
        "ingest_11_files_s": round(build - first, 1),
        "dbt_build_and_report_s": round(total - build, 1),
    }


def measure_month(cfg: Config) -> tuple[list[Row], dict]:
    say("8. a month of all eleven datasets: `cityops samples` → landing/, then `cityops run` (once: a fresh home)")
    seconds, rss, details = _close_month(cfg)
    sample = Sample()
    sample.add(seconds, rss)
    sample.note = "one run (each needs a fresh warehouse and takes about a minute)"
    say(f"  month end to end: {seconds:.1f} s, peak RSS {rss:.0f} MiB, {details['phases']}")
    row = Row(
        "8. month, 11 datasets, end to end",
        sample,
        value=f"{seconds:.0f} s",
        target="≤ 30 s",
        met=seconds <= 30,
    )
    return [row], {"month_end_to_end_s": round(seconds, 2), "details": {**details, **sample.to_json()}}


def _monthly_tables(conn: psycopg.Connection) -> list[tuple[str, list[str]]]:
    """kpi_scorecard and the fct_*_monthly tables (base tables with a month_start), with their columns."""
    found = conn.execute(
        "select c.table_name, array_agg(c.column_name::text order by c.ordinal_position) "
        "from information_schema.columns c join information_schema.tables t "
        "on t.table_schema = c.table_schema and t.table_name = c.table_name "
        "where c.table_schema = 'marts' and t.table_type = 'BASE TABLE' "
        "and (c.table_name = 'kpi_scorecard' or c.table_name like 'fct%monthly') "
        "group by c.table_name order by 1"
    ).fetchall()
    return [(name, cols) for name, cols in found if "month_start" in cols]


def _widen(conn: psycopg.Connection, tables: list[tuple[str, list[str]]], months: int) -> dict[str, int]:
    """Copy every table's rows into the `months - 1` months before them; rows per table after."""
    counts = {}
    for name, cols in tables:
        table = sql.Identifier("marts", name)
        select = [
            sql.SQL("(month_start - make_interval(months => g))::date") if c == "month_start" else sql.Identifier(c)
            for c in cols
        ]
        conn.execute(
            sql.SQL("insert into {} ({}) select {} from {} cross join generate_series(1, %s) g").format(
                table, sql.SQL(", ").join(map(sql.Identifier, cols)), sql.SQL(", ").join(select), table
            ),
            (months - 1,),
        )
        conn.execute(sql.SQL("analyze {}").format(table))
        counts[name] = conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()[0]
    return counts


def _queries(tables: dict[str, list[str]]) -> list[tuple[str, sql.Composable, str]]:
    """(name, query, parameter kind) for what a BI screen asks: a month, a street, a year's trend."""
    out: list[tuple[str, sql.Composable, str]] = []
    if "kpi_scorecard" in tables:
        out += [
            ("scorecard: a month", sql.SQL("select * from marts.kpi_scorecard where month_start = %s"), "month"),
            (
                "scorecard: a year's trend",
                sql.SQL(
                    "select month_start, status, count(*) from marts.kpi_scorecard "
                    "where month_start >= %s and month_start < %s + interval '1 year' group by 1, 2 order by 1, 2"
                ),
                "year",
            ),
        ]
    for name, cols in tables.items():
        if name == "kpi_scorecard":
            continue
        table = sql.Identifier("marts", name)
        measures = [c for c in cols if c not in ("month_start", "street_code") and not c.endswith("_code")][:3]
        out.append((f"{name}: a month", sql.SQL("select * from {} where month_start = %s").format(table), "month"))
        if "street_code" in cols:
            out.append(
                (
                    f"{name}: a street over the years",
                    sql.SQL("select * from {} where street_code = %s order by month_start").format(table),
                    "street",
                )
            )
        out.append(
            (
                f"{name}: a year's trend",
                sql.SQL(
                    "select month_start, count(*), {} from {} where month_start >= %s "
                    "and month_start < %s + interval '1 year' group by 1 order by 1"
                ).format(
                    sql.SQL(", ").join(sql.SQL("max({}::text)").format(sql.Identifier(c)) for c in measures)
                    if measures
                    else sql.SQL("1"),
                    table,
                ),
                "year",
            )
        )
    return out


def measure_bi(cfg: Config) -> tuple[list[Row], dict]:
    home = month_home(cfg)
    url = libpq_url(home)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = _monthly_tables(conn)
        if not tables:
            raise Unavailable("no marts with month_start (kpi_scorecard, fct_*_monthly) to query")
        say(f"9. widening {len(tables)} marts to {cfg.bi_months} months by SQL (measure 9 only)")
        counts = _widen(conn, tables, cfg.bi_months)
        months = [r[0] for r in conn.execute("select distinct month_start from marts.kpi_scorecard order by 1")]
        if not months:
            months = [r[0] for r in conn.execute(f"select distinct month_start from marts.{tables[0][0]}")]
        streets = [r[0] for r in conn.execute("select street_code from marts.dim_street")] if _has_dim(conn) else ["-"]
        role = conn.execute("select 1 from pg_roles where rolname = %s", (REPORTING_ROLE,)).fetchone()
        if role:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(REPORTING_ROLE)))
        queries = _queries(dict(tables))
        runs = 5 if cfg.smoke else 40
        say(f"  {len(queries)} queries × {runs} runs as {REPORTING_ROLE if role else 'postgres (no reporting role)'}")
        rng = random.Random(8)
        per_query: dict[str, dict] = {}
        pooled: list[float] = []
        for name, query, kind in queries:
            times = []
            for i in range(runs + 1):
                args = _params(kind, rng, months, streets)
                started = time.perf_counter()
                conn.execute(query, args).fetchall()
                if i:  # the first run warms the plan cache; a BI pool's connection is warm too
                    times.append((time.perf_counter() - started) * 1000)
            per_query[name] = {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(_p95(times), 2)}
            pooled += times
    p95 = _p95(pooled)
    worst = max(per_query.items(), key=lambda kv: kv[1]["p95_ms"])
    say(f"  p95 {p95:.1f} ms over {len(pooled)} queries; slowest: {worst[0]} p95 {worst[1]['p95_ms']} ms")
    sample = Sample([s / 1000 for s in pooled])
    row = Row(
        f"9. BI queries, {cfg.bi_months} months",
        sample,
        value=f"p95 {p95:.1f} ms",
        target="p95 ≤ 50 ms",
        met=p95 <= 50,
    )
    details = {"rows": counts, "months": len(months), "role": REPORTING_ROLE if role else None, "queries": per_query}
    return [row], {"bi_query_p95_ms": round(p95, 2), "details": details}


def _has_dim(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("select to_regclass('marts.dim_street')").fetchone()[0])


def _params(kind: str, rng: random.Random, months: list, streets: list) -> tuple:
    if kind == "month":
        return (rng.choice(months),)
    if kind == "street":
        return (rng.choice(streets),)
    start = rng.choice(months[: max(1, len(months) - 11)])
    return (start, start)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
