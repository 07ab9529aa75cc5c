"""Overhead-line burial and pole merging (架空线入地及合杆整治): cumulative progress per project.

The programme (projects, lengths, start months, durations) is drawn once from the seed,
and every month's figures are a function of the month index. At the plan's baseline
(end of 2020) the projects add up to 82.2 km started and 69.2 km completed; after that
every project's cumulative figures only grow, so month M+1 never falls below month M,
whichever months are generated and in whatever order.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache

from cityops_dev.samples.spelling import ROADS_INNER, ROADS_OUTER, cn_month, full_width, month_cell, month_index
from cityops_dev.samples.writers import Sheet, form_headers

STARTED_2020_KM = 82.2
COMPLETED_2020_KM = 69.2


@dataclass(frozen=True)
class Project:
    project_id: str
    road: str
    zone: str
    planned_km: float
    start: int  # month index the first section is started
    ramp: int  # months until every section is started
    lag: int  # months from the start to the first completed section
    build: int  # months from the first to the last completed section
    poles_per_km: int

    def started(self, m: int) -> float:
        return round(self.planned_km * min(max((m - self.start + 1) / self.ramp, 0.0), 1.0), 2)

    def completed(self, m: int) -> float:
        return round(self.planned_km * min(max((m - self.start - self.lag) / self.build, 0.0), 1.0), 2)


def _split(rng: random.Random, total: float, parts: int) -> list[float]:
    """`parts` lengths (2 decimals) that add up to exactly `total`."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    lengths = [round(total * w / sum(weights), 2) for w in weights]
    lengths[-1] = round(total - sum(lengths[:-1]), 2)
    return lengths


@cache
def programme(seed: int | None) -> tuple[Project, ...]:
    rng = random.Random(f"overhead-lines:{seed}")
    roads = [(r, "内环内") for r in ROADS_INNER] + [(r, "内环外") for r in ROADS_OUTER]
    rng.shuffle(roads)
    projects = []
    # Finished before 2021: all of their length started and completed.
    for i, km in enumerate(_split(rng, COMPLETED_2020_KM, 20)):
        road, zone = roads.pop()
        start = -rng.randint(14, 60)
        projects.append(
            Project(f"JKX-{2016 + i // 5}-{i % 5 + 1:02d}", road, zone, km, start, 1, 1, 1, rng.randint(25, 45))
        )
    # Under way at the end of 2020: fully started, nothing completed yet, finishing in 2021.
    for i, km in enumerate(_split(rng, STARTED_2020_KM - COMPLETED_2020_KM, 3)):
        road, zone = roads.pop()
        projects.append(
            Project(f"JKX-2020-{i + 6:02d}", road, zone, km, -2, 1, 2, rng.randint(6, 12), rng.randint(25, 45))
        )
    # The 14th five-year plan's programme: new roads every few months until 2026.
    start = 1
    for year in range(2021, 2027):
        for seq in range(1, 7):
            road, zone = roads.pop()
            km = round(rng.uniform(0.8, 3.6), 2)
            ramp, lag, build = rng.randint(2, 4), rng.randint(2, 5), rng.randint(4, 14)
            projects.append(
                Project(f"JKX-{year}-{seq:02d}", road, zone, km, start, ramp, lag, build, rng.randint(25, 45))
            )
            start += rng.randint(1, 3)
            if start > (year - 2020) * 12:
                break
    return tuple(projects)


def figures(project: Project, m: int) -> tuple[float, float, int, str]:
    """(cumulative started km, completed km, merged poles, status) at month index m."""
    started, completed = project.started(m), project.completed(m)
    poles = int(completed * project.poles_per_km)
    status = "未开工" if started == 0 else "已竣工" if completed >= project.planned_km else "施工中"
    return started, completed, poles, status


def overhead_lines(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    m = max(month_index(month), 0)
    body = []
    totals = [0.0, 0.0, 0.0, 0]
    for project in programme(seed):
        if project.start > m + 6:  # roads planned for the next half-year are listed, not yet started
            continue
        started, completed, poles, status = figures(project, m)
        totals = [totals[0] + project.planned_km, totals[1] + started, totals[2] + completed, totals[3] + poles]
        planned_cell: object = full_width(f"{project.planned_km:.2f}") if rng.random() < 0.05 else project.planned_km
        body.append(
            [month_cell(month, rng, excel=True), project.project_id, project.road, project.zone]
            + [planned_cell, started, completed, poles, status]
        )
    header = form_headers("overhead_lines")
    return Sheet(
        title=f"长宁区架空线入地及合杆整治项目进度表（截至{cn_month(month)}底）",
        header=header,
        units=["", "", "", "", "公里", "公里", "公里", "根", ""],
        rows=body,
        format="xlsx",
        totals=["合计", "", "", "", *(round(t, 2) for t in totals[:3]), totals[3], ""],
        department="区建管委",
        clerk="刘洋",
        phone="021-62100561",
    )
