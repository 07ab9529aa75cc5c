"""Reference data (streets, water bodies, indicators): the dbt seed files, read once.

The same versioned CSVs are dbt seeds for the marts and the lists the reader checks
values against, so a river added by the water department is known to both at once.
"""

from __future__ import annotations

import csv
from functools import cache

from cityops.settings import seeds_dir
from cityops.textnorm import fold

DISTRICT = "全区"


@cache
def seed_rows(name: str) -> list[dict[str, str]]:
    with (seeds_dir() / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _aliases(row: dict[str, str]) -> list[str]:
    return [a for a in (row.get("aliases") or "").split("|") if a]


@cache
def street_lookup() -> dict[str, str]:
    """Every accepted spelling (folded) -> the official street name."""
    lookup: dict[str, str] = {}
    for row in seed_rows("ref_streets"):
        official, short = row["street_name"], row["short_name"]
        for spelling in (official, short, short + "街道", short + "镇", *_aliases(row)):
            lookup[fold(spelling)] = official
    return lookup


def official_streets() -> list[str]:
    return [row["street_name"] for row in seed_rows("ref_streets")]


@cache
def reference_lookup(name: str) -> dict[str, str]:
    """A registry (water bodies, indicators) as folded spelling -> canonical value."""
    if name == "water_bodies":
        rows, key = seed_rows("ref_water_bodies"), "water_body_name"
    elif name == "indicators":
        rows, key = seed_rows("ref_indicators"), "indicator_code"
    else:
        raise KeyError(name)
    lookup: dict[str, str] = {}
    for row in rows:
        for spelling in (row[key], *_aliases(row)):
            lookup[fold(spelling)] = row[key]
    return lookup


def reference_values(name: str) -> list[str]:
    return sorted(set(reference_lookup(name).values()))
