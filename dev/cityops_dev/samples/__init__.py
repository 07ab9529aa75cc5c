"""Realistic, messy department files for a month: what `cityops samples` writes.

Each dataset has a generator (its rows, as a department would fill them) and a house
style (xlsx or CSV, encoding, title rows, a 合计 row, a 填报单位 footer), so the samples
exercise the reader the way real uploads do. Files are laid out as `landing/` expects:
`<out>/<dataset>/<YYYY-MM>.<ext>`.

Every contract gets a month: `generators.GENERATORS` holds the datasets with a story of
their own, and any other (a new contract) gets valid rows derived from its contract
(cityops_dev.rows). Each subject has its module (hotline, grid, water, overhead, housing,
enforcement, indicators, blocks), `spelling` holds the ways clerks write months, streets
and numbers, and `writers` the house styles. The blank forms are the product's own
(cityops.report.forms).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from cityops.contracts import dataset_ids
from cityops_dev.samples.generators import generator
from cityops_dev.samples.writers import write_extract


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
    for dataset in dataset_ids():
        if datasets and dataset not in datasets:
            continue
        rng = random.Random(f"{dataset}:{month:%Y-%m}:{seed}")
        sheet = generator(dataset)(month, rng, rows=hotline_rows, seed=seed)
        written.append(write_extract(sheet, out / dataset, month, rng))
    return written
