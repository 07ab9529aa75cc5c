"""美丽街区名录: the full list of beautiful blocks, sent whole each time (a snapshot).

29 blocks were built in 2018-2020; the plan adds 8 more by 2025 (every street covered,
block area at least half the district's 3,827 ha). A block joins the list in the month
it is accepted, so the list only grows from one month to the next.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache

from cityops_dev.samples.spelling import STREET_ROADS, month_from_index, month_index, number_cell, street_cell, streets
from cityops_dev.samples.writers import Sheet, form_headers

SHOWCASE_ROADS = {"愚园路", "武夷路", "新华路", "番禺路", "天山路", "虹桥路", "仙霞路"}
# (month index accepted, how many): 2018-2020 before the plan, then the plan's 8 new ones.
BUILT = [(-30, 10), (-18, 10), (-6, 9), (5, 1), (12, 1), (19, 1), (26, 1), (33, 1), (40, 1), (47, 1), (51, 1)]
BUILT += [(58, 1), (64, 1)]


@dataclass(frozen=True)
class Block:
    name: str
    street: str
    area_ha: float
    accepted: int  # month index
    kind: str


@cache
def blocks(seed: int | None) -> tuple[Block, ...]:
    rng = random.Random(f"beautiful-blocks:{seed}")
    street_list = streets()
    # Two streets have no block before the plan: its new blocks go there first.
    late = street_list[-2:]
    names: set[str] = set()
    items = []
    for accepted, count in BUILT:
        for _ in range(count):
            if accepted < 0:
                street = rng.choice(street_list[:-2])
            elif late:
                street = late.pop(0)
            else:
                street = rng.choice(street_list)
            roads = STREET_ROADS[street]
            free = [f"{r}街区" for r in roads if f"{r}街区" not in names]
            # Once every road of the street has a block, blocks are named by two crossing roads.
            free = free or [f"{a}-{b}街区" for a in roads for b in roads if a < b and f"{a}-{b}街区" not in names]
            name = rng.choice(free)
            road = name.split("-")[0].removesuffix("街区")
            names.add(name)
            area = rng.uniform(35, 65) if accepted < 0 else rng.uniform(45, 80)
            kind = "示范街区" if road in SHOWCASE_ROADS and accepted < 12 else "美丽街区"
            items.append(Block(name, street, round(area, 2), accepted, kind))
    return tuple(items)


def beautiful_blocks(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    m = month_index(month)
    body = []
    area = 0.0
    for block in blocks(seed):
        if block.accepted > m:
            continue
        area += block.area_ha
        year = month_from_index(block.accepted).year
        body.append([block.name, street_cell(block.street, rng), number_cell(block.area_ha, 2, rng), year, block.kind])
    return Sheet(
        title="长宁区美丽街区名录",
        subtitle=f"（截至{month.year}年{month.month}月）",
        header=form_headers("beautiful_blocks"),
        rows=body,
        format="xlsx",
        totals=["合计", f"{len(body)}个", round(area, 2), "", ""],
        department="区绿化市容局",
        clerk="李娜",
        phone="021-62129830",
    )
