"""The housing bureau's two ledgers: 美丽家园 renovation projects and elevator retrofits.

Both are programmes drawn once from the seed, each item with its own timeline, and a
month shows where every item stands at that month index. An elevator's stage therefore
never moves backwards between consecutive months, and a project's dates never change.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache

from cityops_dev.samples.spelling import (
    STREET_ROADS,
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

# Named estates per street; the rest are written as `<road><n>弄`, as the ledger does.
ESTATES = {
    "华阳路街道": ["华阳小区", "飞乐新村", "利西小区", "大西别墅"],
    "江苏路街道": ["江苏路小区", "愚园新村", "岐山村", "武夷小区"],
    "新华路街道": ["新华小区", "番禺小区", "法华新村", "梅泉别墅"],
    "周家桥街道": ["周家桥小区", "长宁新村", "安顺小区", "中山西路小区"],
    "天山路街道": ["天山一村", "天山二村", "天山三村", "天山四村", "天山五村", "遵义小区"],
    "仙霞新村街道": ["仙霞新村", "茅台新苑", "威宁小区", "水城小区", "仙霞西路小区"],
    "虹桥街道": ["虹桥新村", "古北小区", "虹储小区", "安顺路小区"],
    "程家桥街道": ["程家桥小区", "虹古小区", "姚虹小区"],
    "北新泾街道": ["北新泾一村", "北新泾三村", "平塘小区", "金钟小区"],
    "新泾镇": ["新泾一村", "新泾六村", "新泾八村", "淞虹小区", "北翟路小区"],
}
KINDS = [  # kind, projects a year, floor area range (m²), months to build
    ("精品小区", 22, (25_000, 70_000), (6, 12)),
    ("非成套改造", 4, (6_000, 16_000), (12, 20)),
    ("里弄房屋修缮", 6, (3_000, 12_000), (6, 10)),
    ("化粪池改造", 6, (8_000, 30_000), (2, 5)),
]
STAGES = ["意见征询", "立项", "审批", "开工", "竣工", "投入运行"]


def _estate(rng: random.Random, street: str) -> str:
    if rng.random() < 0.6:
        return rng.choice(ESTATES[street])
    return f"{rng.choice(STREET_ROADS[street])}{rng.randrange(10, 1500, 5)}弄"


def _day(month_idx: int, rng: random.Random) -> dt.date:
    return month_from_index(month_idx) + dt.timedelta(days=rng.randrange(28))


@dataclass(frozen=True)
class Renovation:
    project_id: str
    estate: str
    street: str
    kind: str
    floor_area_m2: float
    households: int
    started_on: dt.date
    completed_on: dt.date


@cache
def renovations(seed: int | None) -> tuple[Renovation, ...]:
    rng = random.Random(f"housing-renovation:{seed}")
    projects = []
    for year in range(2019, 2028):
        seq = 0
        for kind, per_year, (low, high), (short, long) in KINDS:
            for _ in range(per_year + rng.randint(-2, 2)):
                seq += 1
                street = rng.choice(streets())
                area = round(rng.uniform(low, high), 1)
                start = month_index(dt.date(year, 1, 1)) + rng.randrange(12)
                started_on = _day(start, rng)
                completed_on = _day(start + rng.randint(short, long), rng)
                projects.append(
                    Renovation(
                        f"MLJY{year}-{seq:03d}",
                        _estate(rng, street),
                        street,
                        kind,
                        area,
                        max(1, int(area / rng.uniform(55, 75))),
                        started_on,
                        completed_on,
                    )
                )
    return tuple(projects)


def housing_renovation(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    m = month_index(month)
    month_last = month_from_index(m + 1) - dt.timedelta(days=1)
    shown_from = dt.date(month.year - 1, 1, 1)  # projects finished before last year leave the ledger
    body = []
    totals = [0.0, 0]
    for p in renovations(seed):
        if p.started_on > month_from_index(m + 3) or p.completed_on < shown_from:
            continue
        started = p.started_on <= month_last
        completed = p.completed_on <= month_last
        status = "已竣工" if completed else "在建" if started else "未开工"
        totals = [totals[0] + p.floor_area_m2, totals[1] + p.households]
        body.append(
            [
                month_cell(month, rng, excel=True),
                p.project_id,
                p.estate,
                street_cell(p.street, rng),
                p.kind,
                number_cell(p.floor_area_m2, 1, rng),
                p.households,
                date_cell(p.started_on if started else None, rng),
                date_cell(p.completed_on if completed else None, rng),
                status,
            ]
        )
    return Sheet(
        title=f"长宁区美丽家园住房修缮改造项目进度表（{cn_month(month)}）",
        header=form_headers("housing_renovation"),
        rows=body,
        format="xlsx",
        totals=["合计", "", "", "", "", round(totals[0], 1), totals[1], "", "", ""],
        department="区房管局",
        clerk="张丽",
        phone="021-62590172",
    )


@dataclass(frozen=True)
class Elevator:
    elevator_id: str
    estate: str
    street: str
    building: str
    households: int
    stage_months: tuple[int, ...]  # month index each stage is reached (consultation first)
    stage_days: tuple[dt.date, ...]

    def stage_at(self, m: int) -> int:
        return sum(1 for reached in self.stage_months if reached <= m) - 1


@cache
def elevators(seed: int | None) -> tuple[Elevator, ...]:
    """About 120 consultations a year; most go through, some stall at consultation."""
    rng = random.Random(f"elevator-retrofit:{seed}")
    items: list[Elevator] = []
    per_year: dict[int, int] = {}
    for m in range(-12, 84):
        year = month_from_index(m).year
        for _ in range(rng.randint(7, 13)):
            street = rng.choice(streets())
            months = [m]
            stall = rng.random() < 0.15
            for low, high in ((1, 4), (1, 3), (1, 3), (3, 6), (1, 2)):
                if stall:
                    break
                months.append(months[-1] + rng.randint(low, high))
            per_year[year] = seq = per_year.get(year, 0) + 1
            items.append(
                Elevator(
                    f"JT{year}-{seq:04d}",
                    _estate(rng, street),
                    street,
                    f"{rng.randint(1, 120)}号" + (f"{rng.randint(1, 4)}单元" if rng.random() < 0.4 else ""),
                    rng.randint(10, 24),
                    tuple(months),
                    tuple(_day(x, rng) for x in months),
                )
            )
    return tuple(items)


def elevator_retrofit(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    m = month_index(month)
    body = []
    for e in elevators(seed):
        stage = e.stage_at(m)
        last_change = e.stage_months[stage] if stage >= 0 else None
        if stage < 0 or (last_change is not None and last_change < m - 12):
            continue  # not yet consulted, or running (or stalled) for over a year: off the ledger
        dates = [e.stage_days[i] if stage >= i else None for i in (1, 3, 4)]  # 立项, 开工, 竣工
        body.append(
            [month_cell(month, rng), e.elevator_id, e.estate, street_cell(e.street, rng), e.building, STAGES[stage]]
            + [date_cell(d, rng, excel=False) for d in dates]
            + [e.households]
        )
    return Sheet(
        title=f"长宁区既有多层住宅加装电梯推进情况表（{cn_month(month)}）",
        header=form_headers("elevator_retrofit"),
        rows=body,
        format="csv",
        encoding="gbk",
        department="区房管局",
        clerk="张丽",
        phone="021-62590172",
    )
