"""The wall-clock measures that tests used to assert: how long a refusal, a sample month and a DAG take.

Tests keep what must hold (refused, for the right rule, in bounded memory); the times are
measured here, in a child process each, and compared with the targets they used to assert:
a hostile file refused in under 15 s (a zip bomb in under 10 s), the 50,000-row hotline
sample written in under 20 s, the whole dags/ folder imported in under 60 s.
"""

from __future__ import annotations

from cityops_dev.bench.core import Config, Row, Run, bench_child, child_env, repeat, say

# (measure, child command, target in seconds)
MEASURES = [
    ("L1. hostile xlsx (billion laughs) refused", "limit-refuse laughs", 15.0),
    ("L2. zip bomb saved as .xlsx refused", "limit-refuse bomb", 10.0),
    ("L3. file over the size limit refused", "limit-refuse too_large", 15.0),
    ("L4. hotline sample, 50,000 rows written", "limit-samples 50000", 20.0),
    ("L5. every DAG of dags/ imported (DagBag)", "limit-dagbag", 60.0),
]


def measure(cfg: Config) -> tuple[list[Row], dict]:
    home = cfg.fresh_home("limits")
    env = child_env(home, CITYOPS_MAX_FILE_MB="1")
    rows, results, details = [], {}, {}
    for label, command, target in MEASURES:
        args = command.split()
        if cfg.smoke and args[0] == "limit-samples":
            args = [args[0], "2000"]

        def once(i: int, args=args, label=label) -> tuple[float, float]:
            run: Run = bench_child(home, *args, str(home / "work"), env=env)
            data = run.json()
            details.setdefault(label, []).append(data)
            return data["seconds"], run.rss_mib

        say(f"{label}, {cfg.repeat}×")
        sample = repeat(label, cfg.repeat, once, budget_s=120)
        rows.append(
            Row(label, sample, value=f"{sample.median:.1f} s", target=f"< {target:.0f} s", met=sample.median < target)
        )
        results[_key(command)] = round(sample.median, 3)
    results["details"] = details
    return rows, results


def _key(command: str) -> str:
    """`limit-refuse laughs` -> limit_refuse_laughs (the key in results.json)."""
    return "_".join(command.split()).replace("-", "_")
