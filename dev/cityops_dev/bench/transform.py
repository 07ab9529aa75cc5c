"""Measures 6 and 7: dbt incremental vs full refresh of a year; DAG parse; Airflow vs dbt.

6 loads twelve real months of the hotline and garbage sorting (`cityops samples`, then the
real ingest, in one process so GX is imported once), builds once untimed, then times
`cityops build --full-refresh` and, after each further new month, a plain `cityops build`.
7 parses each file of dags/ in a fresh process, then runs the transform DAG (or the
month-close DAG when there is none) with `airflow dags test` against a plain
`cityops build` of the same selection, on the closed month of measure 8: before each
run the record of the last good build is removed, so both build what the month feeds.
Both are new processes: the plain build does not hand over to the warm build server
(an Airflow task does not either), so the ratio is what Airflow adds to a dbt build.
6's incremental build selects what the new batches feed (transform/freshness.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from cityops.settings import PROJECT_ROOT
from cityops_dev.bench import inputs
from cityops_dev.bench.core import (
    CITYOPS,
    Config,
    Row,
    Run,
    Sample,
    Unavailable,
    bench_child,
    child_env,
    cityops,
    repeat,
    run_child,
    say,
)

YEAR_DATASETS = ["hotline_cases", "garbage_sorting"]


def _months(first: str, count: int) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _load_months(cfg: Config, home: Path, periods: list[str]) -> None:
    specs = []
    for period in periods:
        rows = 500 if cfg.smoke else None
        for path in inputs.month_files(home / "incoming" / period, period, YEAR_DATASETS, rows=rows):
            specs.append(f"{path.parent.name}:{period}:{path}")
    run = bench_child(home, "ingest-many", *specs)
    bad = {k: v for k, v in run.json().items() if not v.startswith("loaded")}
    if bad:
        raise RuntimeError(f"some sample months did not load: {bad}")
    say(f"  loaded {len(specs)} files ({', '.join(YEAR_DATASETS)}) in {run.seconds:.0f} s")


def dbt_timing(home: Path, process_s: float) -> dict:
    """Where the last build's time went: dbt's own elapsed time vs the process, slowest nodes."""
    path = home / "dbt" / "target" / "run_results.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes = sorted(data.get("results", []), key=lambda n: -n.get("execution_time", 0))
    by_kind: dict[str, float] = {}
    for node in nodes:
        kind = node["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + node.get("execution_time", 0)
    return {
        "process_s": round(process_s, 1),
        "dbt_elapsed_s": round(data.get("elapsed_time", 0), 1),
        "nodes": len(nodes),
        "node_seconds_by_kind": {k: round(v, 1) for k, v in by_kind.items()},
        "slowest": {n["unique_id"]: round(n["execution_time"], 2) for n in nodes[:6]},
    }


def measure_dbt(cfg: Config) -> tuple[list[Row], dict]:
    home = cfg.fresh_home("year")
    year = _months("2024-04", 3 if cfg.smoke else 12)
    runs = max(1, min(cfg.repeat, 2))
    later = _months("2025-04", runs)
    say(f"6. dbt: {len(year)} months of {' + '.join(YEAR_DATASETS)}; full refresh {runs}×; +1 month & build {runs}×")
    _load_months(cfg, home, year)
    first = cityops(home, "build")
    say(f"  first build (untimed: dbt parses the project): {first.seconds:.1f} s")
    timing: dict[str, dict] = {}

    def once_full(i: int) -> Run:
        run = cityops(home, "build", "--full-refresh")
        timing["full_refresh"] = dbt_timing(home, run.seconds)
        return run

    full = repeat("dbt full refresh of the year", runs, once_full)

    def once_incremental(i: int) -> Run:
        _load_months(cfg, home, [later[i]])
        run = cityops(home, "build")
        timing["incremental"] = dbt_timing(home, run.seconds)
        return run

    incremental = repeat("dbt build after one new month", runs, once_incremental)
    pct = 100.0 * incremental.median / full.median
    rows = [
        Row(f"6a. dbt full refresh, {len(year)} months", full),
        Row(
            "6b. dbt build after +1 month",
            incremental,
            value=f"{pct:.0f}% of full",
            target="≤ 15% of full refresh",
            met=pct <= 15,
        ),
    ]
    results = {
        "dbt_full_refresh_s": round(full.median, 2),
        "dbt_incremental_s": round(incremental.median, 2),
        "dbt_incremental_vs_full_pct": round(pct, 1),
        "details": {
            "full_refresh": full.to_json(),
            "incremental": incremental.to_json(),
            "datasets": YEAR_DATASETS,
            "months": len(year),
            "last_run_timing": timing,
            "build_summary": first.text()[-2000:],
        },
    }
    return rows, results


def _airflow_env(home: Path) -> dict[str, str]:
    from cityops.orchestrate.airflow_run import airflow_env
    from cityops.settings import Home

    env = airflow_env(Home(home))
    env.update(child_env(home))
    return env


def _forget_last_build(home: Path) -> None:
    from cityops.settings import Home
    from cityops.transform.freshness import forget_good_build

    forget_good_build(Home(home))


def measure_airflow(cfg: Config) -> tuple[list[Row], dict]:
    from cityops.orchestrate.naming import MONTH_CLOSE_DAG_ID, TRANSFORM_DAG_ID
    from cityops_dev.bench.warehouse import month_home

    home = month_home(cfg)
    env = _airflow_env(home)
    say("7. Airflow: metadata DB (untimed), then each DAG file parsed in a fresh process")
    bench_child(home, "airflow-dag", "-", "-", "--prepare", env=env)
    files = sorted((PROJECT_ROOT / "dags").glob("*.py"))
    if not files:
        raise Unavailable("no DAG files in dags/")
    parse: dict[str, dict] = {}
    dag_ids: set[str] = set()
    for file in files:
        found: dict = {}

        def once(i: int, file: Path = file, found: dict = found) -> tuple[float, float]:
            run = bench_child(home, "dag-parse", str(file), env=env)
            found.update(run.json())
            return found["seconds"], run.rss_mib

        sample = repeat(f"parse {file.name}", max(1, min(cfg.repeat, 3)), once)
        dag_ids.update(found["dags"])
        parse[file.name] = {**sample.to_json(), "dags": len(found["dags"]), "errors": found["errors"]}
    worst = max(parse, key=lambda name: parse[name]["median_s"])
    parse_max = parse[worst]["median_s"]
    errors = {name: p["errors"] for name, p in parse.items() if p["errors"]}

    runs = max(1, min(cfg.repeat, 2))
    if TRANSFORM_DAG_ID in dag_ids:
        what = f"`airflow dags test {TRANSFORM_DAG_ID}`"

        def airflow_once(i: int) -> Run:
            return bench_child(home, "airflow-dag", TRANSFORM_DAG_ID, f"2025-04-1{i}T00:00:00+08:00", env=env)
    elif MONTH_CLOSE_DAG_ID in dag_ids:
        what = f"`cityops run --period {inputs.PERIOD} --airflow` (no transform DAG yet)"

        def airflow_once(i: int) -> Run:
            return run_child([CITYOPS, "run", "--period", inputs.PERIOD, "--airflow"], env)
    else:
        what = None
    say(f"  transform via {what} vs `cityops build`, interleaved, {runs}×")
    build, airflow = Sample(), Sample()
    for i in range(runs):
        # The same selection on both sides: with the record of the last good build gone, each
        # builds everything the month's batches feed (else the second finds nothing to do).
        _forget_last_build(home)
        run = run_child([CITYOPS, "build"], child_env(home, CITYOPS_BUILD_SERVER="off"))
        build.add(run.seconds, run.rss_mib)
        say(f"  cityops build #{i + 1}: {run.seconds:.1f} s")
        if what:
            _forget_last_build(home)
            run = airflow_once(i)
            airflow.add(run.seconds, run.rss_mib)
            say(f"  airflow transform #{i + 1}: {run.seconds:.1f} s")
            if i + 1 < runs and run.seconds > 90:
                airflow.note = build.note = f"{i + 1} of {runs} runs: one Airflow run took over 90 s"
                break
    rows = [
        Row(
            f"7a. DAG parse, slowest ({worst})",
            Sample([parse_max]),
            value=f"{parse_max:.2f} s" + (f", import errors in {sorted(errors)}" if errors else ""),
            target="< 1 s per file",
            met=parse_max < 1 and not errors,
        ),
        Row("7b. cityops build (dbt) of the month", build),
    ]
    results: dict = {"dag_parse_max_s": round(parse_max, 3)}
    if what:
        ratio = airflow.median / build.median
        rows.append(
            Row(
                "7c. Airflow transform of the month",
                airflow,
                value=f"{ratio:.2f}× dbt",
                target="≤ 1.5× dbt build",
                met=ratio <= 1.5,
            )
        )
        results["airflow_vs_dbt_ratio"] = round(ratio, 3)
    else:
        rows.append(Row("7c. Airflow transform of the month", na="n/a: no transform or month-close DAG in dags/"))
        results["airflow_vs_dbt_ratio"] = "n/a: no transform or month-close DAG in dags/"
    results["details"] = {"parse": parse, "build": build.to_json(), "airflow": airflow.to_json(), "airflow_run": what}
    return rows, results
