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


# registry name (as contracts say `reference: …`) -> (seed file, its key column)
REGISTRIES = {
    "water_bodies": ("ref_water_bodies", "water_body_name"),
    "indicators": ("ref_indicators", "indicator_code"),
}


def registry_words(name: str) -> dict[str, str]:
    """How a message names a registry, in both languages."""
    zh, en = {"water_bodies": ("河湖名录", "water-body registry"), "indicators": ("指标目录", "indicator catalog")}.get(
        name, ("名录", "registry")
    )
    return {"reference_zh": zh, "reference_en": en}


def reference_rows(name: str) -> dict[str, dict[str, str]]:
    """A registry's rows by their canonical key, e.g. an indicator's unit, range and owner."""
    seed, key = REGISTRIES[name]
    return {row[key]: row for row in seed_rows(seed)}


@cache
def reference_lookup(name: str) -> dict[str, str]:
    """A registry (water bodies, indicators) as folded spelling -> canonical value."""
    seed, key = REGISTRIES[name]
    lookup: dict[str, str] = {}
    for row in seed_rows(seed):
        for spelling in (row[key], *_aliases(row)):
            lookup[fold(spelling)] = row[key]
    return lookup


def reference_values(name: str) -> list[str]:
    return sorted(set(reference_lookup(name).values()))
