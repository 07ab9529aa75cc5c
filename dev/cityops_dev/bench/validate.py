"""Measure 11: a clerk's 10-row garbage-sorting file, checked by `cityops validate`.

Cold: a new `cityops validate` process per run, as a clerk's command line or a script
runs it, on a running warehouse; its phases come from the log (start-up until the file is
read, reading, the GX gate, reports and exit), and `python -c "import great_expectations"`
is timed beside it, since the gate cannot answer before GX is imported. Warm: the same
check repeated in one process (`children validate-warm`), as the portal runs it.
"""

from __future__ import annotations

import datetime as dt
import statistics

from cityops_dev.bench import inputs
from cityops_dev.bench.core import (
    CITYOPS,
    PYTHON,
    Config,
    Row,
    Run,
    Sample,
    bench_child,
    child_env,
    cityops,
    repeat,
    run_child,
    say,
)
from cityops_dev.bench.load import _median_phases, _phases

COLD_TARGET_S = 3.0
WARM_TARGET_S = 1.0


def measure(cfg: Config) -> tuple[list[Row], dict]:
    book = inputs.garbage_small(cfg)
    home = cfg.fresh_home("validate")
    cityops(home, "warehouse", "start")  # a service that runs; its start-up is not the check's
    runs = 2 if cfg.smoke else max(5, cfg.repeat)
    log = home / "logs" / "cityops.log"
    phases: list[dict] = []
    argv = [CITYOPS, "validate", str(book), "--dataset", "garbage_sorting", "--period", inputs.PERIOD, "--json"]

    say(f"11. a 10-row garbage-sorting file with one bad cell: cold `cityops validate`, {runs}×")

    def once_cold(i: int) -> Run:
        before = log.stat().st_size if log.exists() else 0
        started = dt.datetime.now()
        run = run_child(argv, child_env(home), ok_codes=(1,))
        if run.json()["status"] != "rejected":
            raise RuntimeError(f"the spoiled garbage file was not rejected: {run.json().get('status')}")
        phases.append(_phases(log, before, started, run.seconds))
        return run

    cold = repeat("cold validate", runs, once_cold, budget_s=180)

    def once_import(i: int) -> Run:
        return run_child([PYTHON, "-c", "import great_expectations"], child_env(home))

    gx_import = repeat("python -c 'import great_expectations'", 2 if cfg.smoke else 3, once_import, budget_s=90)

    say(f"    the same check {runs}× in one warm process (as the portal runs it)")
    run = bench_child(home, "validate-warm", str(book), str(runs))
    data = run.json()
    warm = Sample()
    for seconds in data["seconds"]:
        warm.add(seconds)
    say(f"  warm validate: median {warm.median:.2f} s (the first, cold, {data['first_s']:.2f} s)")
    rows = [
        Row(
            "11a. validate 10 rows, cold",
            cold,
            value=f"{cold.median:.2f} s",
            target=f"≤ {COLD_TARGET_S:.0f} s median",
            met=cold.median <= COLD_TARGET_S,
        ),
        Row(
            "11b. validate 10 rows, warm",
            warm,
            value=f"{warm.median:.2f} s",
            target=f"≤ {WARM_TARGET_S:.0f} s",
            met=warm.median <= WARM_TARGET_S,
        ),
        Row("11c. import great_expectations", gx_import),
    ]
    results = {
        "validate_small_cold_s": round(cold.median, 3),
        "validate_small_warm_s": round(warm.median, 3),
        "gx_import_s": round(gx_import.median, 3),
        "details": {
            "cold": {**cold.to_json(), "phases_median": _median_phases(phases)},
            "warm": {**warm.to_json(), "first_s": round(data["first_s"], 3)},
            "gx_import": gx_import.to_json(),
            "gx_import_vs_cold": round(statistics.median(gx_import.seconds) / cold.median, 3),
        },
    }
    return rows, results
