"""The water department's two monthly reports: river water quality and river-chief patrols.

Rivers come from the water-body registry (dbt_project/seeds/ref_water_bodies.csv). The
reported class is the one GB 3838-2002 gives for the four measurements (worst parameter
wins), except for one section a month whose clerk typed the class from last month: the
gate shows that as a warning, as it would for a real file.
"""

from __future__ import annotations

import datetime as dt
import random

from cityops.reference import seed_rows
from cityops_dev.samples.spelling import cn_month, month_cell, month_index, number_cell, person_name
from cityops_dev.samples.writers import Sheet, form_headers

CLASSES = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"]
# GB 3838-2002 limits for classes Ⅰ..Ⅴ: DO is a floor, the others are ceilings.
DO_MIN = [7.5, 6, 5, 3, 2]
CODMN_MAX = [2, 4, 6, 10, 15]
NH3N_MAX = [0.15, 0.5, 1.0, 1.5, 2.0]
TP_MAX = [0.02, 0.1, 0.2, 0.3, 0.4]
# How clerks write each class.
SPELLINGS = {
    "Ⅰ": ["Ⅰ", "I", "1类", "Ⅰ类"],
    "Ⅱ": ["Ⅱ", "II", "2类", "Ⅱ类"],
    "Ⅲ": ["Ⅲ", "III", "3类", "Ⅲ类"],
    "Ⅳ": ["Ⅳ", "IV", "4类", "Ⅳ类"],
    "Ⅴ": ["Ⅴ", "V", "5类", "Ⅴ类"],
    "劣Ⅴ": ["劣Ⅴ", "劣V", "劣Ⅴ类"],
}
SECTIONS = {
    "苏州河": ["华政桥", "古北路桥", "北新泾桥"],
    "新泾港": ["新泾港闸", "天山西路桥"],
    "外环西河": ["北翟路桥", "福泉路桥"],
    "野奴泾": ["哈密路桥"],
    "朱家浜": ["剑河路桥"],
    "绥宁河": ["协和路桥"],
    "机场河": ["淞虹路桥", "泉口路桥"],
    "周家浜": ["周家浜口"],
}
# The usual class of a river (index into CLASSES): 苏州河 Ⅲ–Ⅳ, small rivers Ⅳ–Ⅴ.
USUAL = {"苏州河": 2, "新泾港": 3, "外环西河": 3, "野奴泾": 3, "朱家浜": 3, "绥宁河": 3, "机场河": 3, "周家浜": 4}


def gb3838_class(do: float, codmn: float, nh3n: float, tp: float) -> str:
    """The class of a sample: the worst of its four parameters."""

    def ceiling(value: float, limits: list[float]) -> int:
        return next((i for i, limit in enumerate(limits) if value <= limit), 5)

    by_do = next((i for i, floor in enumerate(DO_MIN) if do >= floor), 5)
    return CLASSES[max(by_do, ceiling(codmn, CODMN_MAX), ceiling(nh3n, NH3N_MAX), ceiling(tp, TP_MAX))]


def _band(limits: list[float], cls: int, low: float, high: float) -> tuple[float, float]:
    """The (low, high) range of a ceiling parameter inside class `cls`."""
    lower = limits[cls - 1] if cls else low
    upper = limits[cls] if cls < 5 else high
    return lower, upper


def _sample(rng: random.Random, cls: int) -> tuple[float, float, float, float]:
    """Four measurements whose worst parameter is in class `cls` and the others no worse."""
    values = []
    worst = rng.randrange(4)
    for param in range(4):
        own = cls if param == worst else rng.randint(max(0, cls - 2), cls)
        if param == 0:
            high = DO_MIN[own - 1] if own else 10.5
            low = DO_MIN[own] if own < 5 else 0.8
            values.append(round(rng.uniform(low + 0.02, high - 0.02), 2))
        else:
            limits, scale, hi = [(CODMN_MAX, 2, 22.0), (NH3N_MAX, 3, 3.5), (TP_MAX, 3, 0.7)][param - 1]
            lo, up = _band(limits, own, 0.0, hi)
            pad = (up - lo) * 0.05
            values.append(round(rng.uniform(lo + pad, up - pad), scale))
    return values[0], values[1], values[2], values[3]


def _registry() -> list[str]:
    return [row["water_body_name"] for row in seed_rows("ref_water_bodies") if row["kind"] == "河道"]


def water_quality(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    rivers = [r for r in _registry() if r in SECTIONS] or _registry()
    body = []
    summer = month.month in (6, 7, 8, 9)  # warm water holds less oxygen
    for river in rivers:
        for section in SECTIONS.get(river, ["入河口"]):
            cls = USUAL.get(river, 3) + (1 if summer and rng.random() < 0.3 else 0) - (1 if rng.random() < 0.2 else 0)
            cls = max(1, min(cls, 4))
            if river == "周家浜" and month_index(month) % 3 == 2:
                cls = 5  # after the storms the small river drops below Ⅴ: reported as 劣V
            do, codmn, nh3n, tp = _sample(rng, cls)
            reported = gb3838_class(do, codmn, nh3n, tp)
            body.append([month_cell(month, rng, excel=True), river, section, do, codmn, nh3n, tp, reported])
    # One section whose class was copied from last month's row: a warning, not a rejection.
    slip = body[rng.randrange(len(body))]
    slip[7] = CLASSES[max(0, CLASSES.index(slip[7]) - 1)]
    for line in body:
        line[7] = rng.choice(SPELLINGS[line[7]])
    header = form_headers("water_quality")
    header[4] = header[4].replace("（", "\n（")  # a long header wrapped inside its cell
    return Sheet(
        title=f"长宁区{cn_month(month)}河道水质监测结果",
        subtitle="监测单位：长宁区水务局（区河长办）",
        header=header,
        rows=body,
        format="xlsx",
        department="区水务局",
        clerk="陈静",
        phone="021-62111234",
    )


def _chiefs(seed: int | None) -> list[tuple[str, str, str]]:
    """(name, level, river): the same chiefs every month, as appointed."""
    rng = random.Random(f"river-chiefs:{seed}")
    rivers = _registry()
    chiefs = []
    for river in rivers:
        chiefs.append((person_name(rng), "区级", river))
        for _ in range(rng.randint(1, 3)):
            chiefs.append((person_name(rng), "街镇级", river))
        if rng.random() < 0.6:
            chiefs.append((person_name(rng), "民间河长", river))
    # A district chief answers for two rivers: the same person on two rows.
    chiefs.append((chiefs[0][0], "区级", rivers[-1]))
    return chiefs


def river_chief_patrols(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    body: list[list[object]] = []
    totals = [0, 0, 0]
    level_patrols = {"区级": (1, 2), "街镇级": (4, 8), "民间河长": (4, 12)}
    previous_river = None
    for name, level, river in _chiefs(seed):
        if previous_river and river != previous_river and rng.random() < 0.3:
            body.append([])  # the clerk leaves a blank line between some rivers
        previous_river = river
        patrols = rng.randint(*level_patrols[level])
        found = sum(rng.random() < 0.25 for _ in range(patrols))
        resolved = found - (1 if found and rng.random() < 0.3 else 0)
        totals = [totals[0] + patrols, totals[1] + found, totals[2] + resolved]
        body.append([month_cell(month, rng), name, level, river, number_cell(patrols, 0, rng), found, resolved])
    return Sheet(
        title=f"长宁区河长巡河情况统计表（{cn_month(month)}）",
        header=form_headers("river_chief_patrols"),
        rows=body,
        format="csv",
        encoding="utf-8",
        delimiter="\t",  # saved from WPS as "文本文件（制表符分隔）"
        totals=["合计", "", "", "", *totals],
        department="区水务局",
        clerk="陈静",
        phone="021-62111234",
    )
