"""The enforcement bureau's illegal-construction ledger (违法建筑整治台账), case × month.

Old stock cases (存量) are demolished a few a month over the plan period; new ones (新增)
are rare, since the plan's target is zero growth, and are cleared within a few months.
A case stays on the ledger until the year after its demolition.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache

from cityops_dev.samples.spelling import (
    cn_month,
    date_cell,
    month_cell,
    month_from_index,
    month_index,
    number_cell,
    street_cell,
    streets,
)
from cityops_dev.samples.writers import Sheet, form_headers

KINDS = ["居民自用违建"] * 5 + ["经营性违建"] * 3 + ["公共区域违建"] * 2 + ["工业仓储违建", "其他"]


@dataclass(frozen=True)
class Case:
    case_id: str
    street: str
    kind: str
    origin: str
    area_m2: float
    found_on: dt.date
    filed: int  # month index the case was filed (已立案)
    works: int  # month index rectification started (整改中)
    demolished_on: dt.date | None  # None: still standing when the programme ends


def _day(m: int, rng: random.Random) -> dt.date:
    return month_from_index(m) + dt.timedelta(days=rng.randrange(28))


@cache
def cases(seed: int | None) -> tuple[Case, ...]:
    rng = random.Random(f"illegal-construction:{seed}")
    items = []
    # Stock found in 2016-2020, cleared over 2021-2027 (the last ones are the hard cases).
    for seq in range(1, 181):
        street = rng.choice(streets())
        found = rng.randint(-59, -1)
        works = rng.randint(1, 75)
        gone = works + rng.randint(1, 6)
        items.append(
            Case(
                f"WJ{month_from_index(found).year}{seq:04d}",
                street,
                rng.choice(KINDS),
                "存量",
                round(rng.uniform(6, 420), 1),
                _day(found, rng),
                found,
                works,
                _day(gone, rng) if gone <= 84 else None,
            )
        )
    # New cases: most months none or one, found on patrol and cleared within a few months.
    for m in range(1, 85):
        for n in range(rng.choice([0, 0, 1, 1, 2])):
            found_on = _day(m, rng)
            works = m + rng.randint(0, 1)
            items.append(
                Case(
                    f"XZ{found_on:%Y%m}{n + 1:02d}",
                    rng.choice(streets()),
                    rng.choice(KINDS),
                    "新增",
                    round(rng.uniform(3, 60), 1),
                    found_on,
                    m,
                    works,
                    max(found_on, _day(works + rng.randint(0, 3), rng)),
                )
            )
    return tuple(items)


def illegal_construction(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    m = month_index(month)
    month_last = month_from_index(m + 1) - dt.timedelta(days=1)
    shown_from = dt.date(month.year - 1, 1, 1)
    body = []
    area = 0.0
    for case in cases(seed):
        if case.filed > m or (case.demolished_on and case.demolished_on < shown_from):
            continue
        demolished = case.demolished_on is not None and case.demolished_on <= month_last
        status = "已拆除" if demolished else "整改中" if case.works <= m else "已立案"
        area += case.area_m2
        body.append(
            [
                month_cell(month, rng, excel=True),
                case.case_id,
                street_cell(case.street, rng),
                case.kind,
                case.origin,
                number_cell(case.area_m2, 1, rng),
                date_cell(case.found_on, rng),
                date_cell(case.demolished_on if demolished else None, rng),
                status,
            ]
        )
    return Sheet(
        title=f"长宁区违法建筑整治工作台账（{cn_month(month)}）",
        header=form_headers("illegal_construction"),
        rows=body,
        format="xlsx",
        totals=["合计", f"{len(body)}处", "", "", "", round(area, 1), "", "", ""],
        department="区城管执法局",
        clerk="赵刚",
        phone="021-62405110",
    )
