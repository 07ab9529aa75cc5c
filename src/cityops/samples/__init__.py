"""Realistic, messy department files for a month: what `cityops samples` writes.

Each dataset has a generator (its rows, as a department would fill them) and a house
style (xlsx or CSV, encoding, title rows, a 合计 row, a 填报单位 footer), so the samples
exercise the reader the way real uploads do. Files are laid out as `landing/` expects:
`<out>/<dataset>/<YYYY-MM>.<ext>`.

The registry is `generators.GENERATORS`; each subject has its module (hotline, grid,
water, overhead, housing, enforcement, indicators, blocks), `spelling` holds the ways
clerks write months, streets and numbers, and `writers` the house styles. `templates`
writes the blank forms from the contracts.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from cityops.samples.generators import GENERATORS
from cityops.samples.writers import write_extract


def write_month(
    month: dt.date,
    out: Path,
    *,
    seed: int | None = None,
    hotline_rows: int | None = None,
    datasets: list[str] | None = None,
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for dataset, generator in GENERATORS.items():
        if datasets and dataset not in datasets:
            continue
        rng = random.Random(f"{dataset}:{month:%Y-%m}:{seed}")
        sheet = generator(month, rng, rows=hotline_rows, seed=seed)
        written.append(write_extract(sheet, out / dataset, month, rng))
    return written
