"""Measure 5: the project's read + normalise of a 100k-row xlsx against calamine's raw read.

Both run in their own process and time only the read (imports and loading the contract
excluded); peak RSS is the whole child's. The file is the hotline month written with
openpyxl (datetime cells for the times), cached under bench/inputs.
"""

from __future__ import annotations

from cityops_dev.bench import inputs
from cityops_dev.bench.core import Config, Row, Run, bench_child, child_env, repeat, say


def measure(cfg: Config) -> tuple[list[Row], dict]:
    book = inputs.hotline_xlsx(cfg, cfg.xlsx_rows)
    home = cfg.fresh_home("xlsx")
    env = child_env(home)
    rows_read: dict[str, int] = {}

    def timed(command: str):
        def once(i: int) -> tuple[float, float]:
            run: Run = bench_child(home, command, str(book), env=env)
            data = run.json()
            rows_read[command] = data["rows"]
            return data["seconds"], run.rss_mib

        return once

    say(f"5. reading a {cfg.xlsx_rows:,}-row xlsx: calamine raw, then the project's reader, {cfg.repeat}× each")
    calamine = repeat("calamine raw read", cfg.repeat, timed("xlsx-calamine"), budget_s=120)
    project = repeat("open_extract + canonical_chunks", cfg.repeat, timed("xlsx-project"), budget_s=240)
    ratio = project.median / calamine.median
    label = f"{cfg.xlsx_rows // 1000}k"
    rows = [
        Row(f"5a. xlsx {label}: calamine raw", calamine),
        Row(
            f"5b. xlsx {label}: project reader",
            project,
            value=f"{ratio:.2f}× calamine",
            target="≤ 1.5× calamine (aim 1.2×)",
            met=ratio <= 1.5,
        ),
    ]
    results = {
        "xlsx_calamine_s": round(calamine.median, 3),
        "xlsx_project_read_s": round(project.median, 3),
        "xlsx_read_vs_calamine_ratio": round(ratio, 3),
        "details": {"calamine": calamine.to_json(), "project": project.to_json(), "rows_read": rows_read},
    }
    return rows, results
