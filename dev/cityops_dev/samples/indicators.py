"""城市管理指标月报: the plan's long-tail indicators that no other extract carries.

Codes, names, units, ranges and owners come from the indicator catalog
(dbt_project/seeds/ref_indicators.csv, the rows whose source is `city_indicators`), so
a code added there appears in the next sample. Values follow the plan's baselines and
targets along the month index: cumulative rates climb towards their 2025 targets,
year-to-date counts reset each January, steady rates wander just above their floor.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from cityops.reference import DISTRICT, seed_rows
from cityops_dev.samples.spelling import cn_month, full_width, month_cell, month_index, street_cell, streets
from cityops_dev.samples.writers import Sheet, form_headers

Figure = Callable[[int, dt.date, random.Random], float]


def _towards(base: float, target: float, months: int) -> Figure:
    """A cumulative rate climbing from its 2020 baseline to its target over `months`."""
    return lambda m, month, rng: base + (target - base) * min(max(m, 0) / months, 1.0)


def _around(low: float, high: float) -> Figure:
    return lambda m, month, rng: rng.uniform(low, high)


FIGURES: dict[str, Figure] = {
    "IND_RIVER_SURFACE_RATIO": lambda m, month, rng: 2.88 + 0.01 * (max(m, 0) // 24),
    "IND_GREENWAY_NEW_KM": lambda m, month, rng: 2.4 * month.month / 12,  # year to date
    "IND_POCKET_GARDENS_NEW": lambda m, month, rng: (month.month >= 5) + (month.month >= 10),
    "IND_LIGHTING_RECORDS_PCT": _towards(95.2, 99.0, 60),
    "IND_LIGHTING_WORKING_PCT": _around(98.1, 99.7),
    "IND_SEPTIC_TANKS_RENOVATED_PCT": _towards(70, 100, 12),
    "IND_DRAINAGE_OLD_PIPES_INSPECTED_PCT": _towards(30, 100, 50),
    "IND_DRAINAGE_NEW_INLETS_PCT": _towards(20, 100, 52),
    "IND_ROAD_MAINTENANCE_PCT": lambda m, month, rng: 100,
    "IND_ROAD_BARRIER_FREE_PCT": _towards(80, 100, 56),
    "IND_ROAD_NAME_SIGNS_PCT": _around(99.3, 100),
    "IND_FAST_CHARGERS_PCT": _towards(3.0, 5.0, 60),
    "IND_TAXI_CHARGING_STATIONS": lambda m, month, rng: min(5, 1 + max(m, 0) // 13),
    "IND_OVERHEAD_LINES_INNER_RING_PCT": _towards(61.1, 100, 60),
    "IND_OVERHEAD_LINES_OUTER_RING_PCT": _towards(53.2, 100, 66),
    "IND_GREEN_COVERAGE_PCT": _towards(33.16, 34.0, 60),
    "IND_ROAD_SWEEPING_PCT": _towards(95, 98, 60),
    "IND_ROAD_WASHING_PCT": _towards(95, 97.5, 60),
}
# Indicators each street reports too (the district row is their average).
BY_STREET = {"IND_ROAD_SWEEPING_PCT", "IND_ROAD_WASHING_PCT", "IND_LIGHTING_WORKING_PCT"}


def catalog() -> list[dict[str, str]]:
    return [row for row in seed_rows("ref_indicators") if row["source"] == "city_indicators"]


def _fallback(row: dict[str, str]) -> Figure:
    """An indicator the generator has no story for yet: its baseline, else its target."""
    value = float(row["baseline"] or row["target"] or row["value_min"] or 0)
    return lambda m, month, rng: value


def _bounded(row: dict[str, str], value: float) -> float:
    low = float(row["value_min"]) if row["value_min"] else value
    high = float(row["value_max"]) if row["value_max"] else value
    decimals = 0 if row["unit"] in ("个", "台", "处") else 2
    return round(min(max(value, low), high), decimals)


def city_indicators(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    m = month_index(month)
    body = []
    for row in catalog():
        figure = FIGURES.get(row["indicator_code"]) or _fallback(row)
        district = _bounded(row, figure(m, month, rng))
        scopes: list[tuple[str, float]] = [(DISTRICT, district)]
        if row["indicator_code"] in BY_STREET:
            scopes += [(s, _bounded(row, district + rng.uniform(-1.2, 1.2))) for s in streets()]
        for scope, value in scopes:
            cell: object = full_width(f"{value:g}") if rng.random() < 0.04 else value
            body.append(
                [
                    month_cell(month, rng),
                    row["indicator_code"],
                    row["name_zh"],
                    scope if scope == DISTRICT else street_cell(scope, rng),
                    cell,
                    row["unit"],
                    row["owner_department"],
                ]
            )
    return Sheet(
        title=f"长宁区城市管理精细化指标月报（{cn_month(month)}）",
        header=form_headers("city_indicators"),
        rows=body,
        format="csv",
        encoding="utf-8-sig",
        department="区城运中心（汇总）",
        clerk="周婷",
    )
