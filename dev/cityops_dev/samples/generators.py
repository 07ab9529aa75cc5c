"""The registry of per-dataset generators, with figures consistent with the plan's baselines.

Each generator takes (month, rng, rows=None, seed=None) and returns a `Sheet`: the rows as
the department fills them and its house style. `rng` is the month's randomness (spellings,
noise); `seed` alone draws the multi-month programmes (projects, elevators, blocks), so
cumulative figures and stages derive from the month index and never fall between months.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from cityops.contracts import get_contract
from cityops.reference import official_streets
from cityops_dev.rows import RowMaker
from cityops_dev.samples.blocks import beautiful_blocks
from cityops_dev.samples.enforcement import illegal_construction
from cityops_dev.samples.grid import grid_cases
from cityops_dev.samples.hotline import hotline_cases
from cityops_dev.samples.housing import elevator_retrofit, housing_renovation
from cityops_dev.samples.indicators import city_indicators
from cityops_dev.samples.overhead import overhead_lines
from cityops_dev.samples.water import river_chief_patrols, water_quality
from cityops_dev.samples.writers import Sheet

Generator = Callable[..., Sheet]

# Residential areas per street: they add up to the plan's 739.
RESIDENTIAL_AREAS = [70, 52, 81, 60, 88, 101, 84, 42, 74, 87]


def _month_spelling(month: dt.date, rng: random.Random) -> str:
    return rng.choice(
        [f"{month:%Y-%m}", f"{month.year}年{month.month}月", f"{month:%Y%m}", f"{month.year}/{month.month}"]
    )


def garbage_sorting(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    contract = get_contract("garbage_sorting")
    body, totals = [], [0.0] * 4
    for street, areas in zip(official_streets(), RESIDENTIAL_AREAS, strict=True):
        residual = round(rng.uniform(1800, 3200), 2)
        wet = round(residual * rng.uniform(0.35, 0.5), 2)
        recyclable = round(residual * rng.uniform(0.18, 0.28), 2)
        hazardous = round(rng.uniform(0.05, 0.6), 3)
        figures = [residual, wet, recyclable, hazardous]
        totals = [t + f for t, f in zip(totals, figures, strict=True)]
        short = street.removesuffix("街道") if rng.random() < 0.4 else street
        body.append(
            [
                _month_spelling(month, rng),
                short,
                f"{residual:,.2f}" if rng.random() < 0.3 else residual,
                wet,
                recyclable,
                hazardous,
                f"{rng.uniform(64, 72):.1f}%",
                areas,
                areas - (1 if rng.random() < 0.2 else 0),
                rng.randint(450, 900),
            ]
        )
    header = [c.header for c in contract.columns]
    header[3] = "湿垃圾 (吨)"  # half-width brackets, as often typed
    return Sheet(
        title=f"长宁区{month.year}年{month.month}月生活垃圾分类情况统计表",
        header=header,
        rows=body,
        format="xlsx",
        department=contract.department,
        totals=["合计", "", *[round(t, 3) for t in totals], "", sum(RESIDENTIAL_AREAS), "", ""],
    )


def from_contract(dataset: str) -> Generator:
    """A month for a dataset with no story of its own: valid, messy rows derived from its contract."""

    def generate(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
        contract = get_contract(dataset)
        columns = [c for c in contract.columns if not c.derive]
        made = RowMaker(contract, month).rows(rows)
        return Sheet(
            title=f"长宁区{month.year}年{month.month}月{contract.title_zh}",
            header=[c.header for c in columns],
            rows=[[row.get(c.name) for c in columns] for row in made],
            format="xlsx",
            department=contract.department,
        )

    return generate


def generator(dataset: str) -> Generator:
    """The dataset's own generator (a story told with the plan's figures), else one from its contract."""
    return GENERATORS.get(dataset) or from_contract(dataset)


# The datasets whose samples tell a story: figures consistent with the plan's baselines.
GENERATORS: dict[str, Generator] = {
    "garbage_sorting": garbage_sorting,
    "hotline_cases": hotline_cases,
    "grid_cases": grid_cases,
    "water_quality": water_quality,
    "river_chief_patrols": river_chief_patrols,
    "overhead_lines": overhead_lines,
    "housing_renovation": housing_renovation,
    "elevator_retrofit": elevator_retrofit,
    "illegal_construction": illegal_construction,
    "city_indicators": city_indicators,
    "beautiful_blocks": beautiful_blocks,
}
