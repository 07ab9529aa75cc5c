"""The grid-management month: one row per case, as the 城运中心's grid system exports it.

About 20,000 cases a month, each located in its responsibility grid (网格) inside its
street, with the deadline of its kind of case and whether it ran over.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from cityops_dev.samples.spelling import month_end, street_codes, streets
from cityops_dev.samples.writers import Sheet, form_headers

CASES_PER_MONTH = 20_000
SOURCES = ["网格巡查"] * 45 + ["智能发现"] * 18 + ["12345转办"] * 15 + ["路长巡查"] * 8 + ["社会诉求"] * 6
SOURCES += ["啄木鸟"] * 4 + ["内部督查"] * 4
# 案件类型 -> 大类 -> 小类 with the deadline (hours) the grid standard gives it.
KINDS = {
    "部件": [
        ("公用设施", [("上水井盖", 24), ("污水井盖", 24), ("电力井盖", 24), ("消防栓", 48), ("路灯", 72)]),
        ("道路交通", [("交通标志牌", 72), ("护栏", 72), ("路名牌", 120), ("人行道板", 120)]),
        ("市容环境", [("公共厕所", 24), ("垃圾箱", 24), ("废物箱", 24)]),
        ("园林绿化", [("行道树", 72), ("绿地护栏", 120)]),
    ],
    "事件": [
        ("市容环境", [("暴露垃圾", 2), ("积存垃圾渣土", 4), ("道路不洁", 4), ("乱张贴", 24)]),
        ("街面秩序", [("跨门营业", 2), ("无证照经营游商", 2), ("非机动车乱停放", 2), ("机动车违停", 2)]),
        ("施工管理", [("施工扰民", 24), ("工地道路污染", 4), ("违规占道施工", 24)]),
        ("突发事件", [("道路积水", 4), ("路面塌陷", 4), ("井盖缺失", 2)]),
        ("小区管理", [("违法搭建", 120), ("群租", 120), ("楼道堆物", 72)]),
    ],
}
# Approximate centre of each street (WGS84), for case coordinates inside the district.
CENTRES = {
    "华阳路街道": (121.4245, 31.2225),
    "江苏路街道": (121.4330, 31.2215),
    "新华路街道": (121.4280, 31.2050),
    "周家桥街道": (121.4150, 31.2160),
    "天山路街道": (121.4040, 31.2140),
    "仙霞新村街道": (121.3900, 31.2070),
    "虹桥街道": (121.4150, 31.1990),
    "程家桥街道": (121.3750, 31.1950),
    "北新泾街道": (121.3830, 31.2190),
    "新泾镇": (121.3650, 31.2130),
}
LON, LAT = (121.33, 121.47), (31.17, 31.24)


def _grids(seed: int | None) -> dict[str, list[tuple[str, float, float]]]:
    """Each street's grids with their centres: fixed, so a grid keeps its code month after month."""
    rng = random.Random(f"grids:{seed}")
    codes = street_codes()
    grids = {}
    for street in streets():
        lon, lat = CENTRES[street]
        grids[street] = [
            (f"{codes[street][:9]}{n:03d}", lon + rng.uniform(-0.009, 0.009), lat + rng.uniform(-0.006, 0.006))
            for n in range(1, rng.randint(14, 30))
        ]
    return grids


def _clock(start: dt.datetime, seconds: int) -> str:
    return f"{start + dt.timedelta(seconds=seconds):%Y/%m/%d %H:%M}"


def _rows(month: dt.date, rng: random.Random, count: int, seed: int | None) -> Iterator[list[object]]:
    start = dt.datetime(month.year, month.month, 1)
    month_seconds = ((month_end(month) - month).days + 1) * 86400
    extracted_at = month_seconds + 2 * 86400
    grids = _grids(seed)
    street_list = streets()
    cases = []
    for _ in range(count):
        reported = rng.randrange(month_seconds)
        hour = reported % 86400 // 3600
        if hour < 6 and rng.random() < 0.8:  # patrols work by day: move most night finds to the morning
            reported += (7 - hour) * 3600
            reported = min(reported, month_seconds - 1)
        cases.append(reported)
    cases.sort()
    prefix = f"WG{month:%y%m}"
    for seq, reported in enumerate(cases, start=1):
        source = rng.choice(SOURCES)
        case_type = "部件" if rng.random() < 0.3 else "事件"
        category, subs = rng.choice(KINDS[case_type])
        subcategory, deadline_h = rng.choice(subs)
        street = rng.choice(street_list)
        grid_code, lon, lat = rng.choice(grids[street])
        lon = min(max(lon + rng.uniform(-0.003, 0.003), LON[0]), LON[1])
        lat = min(max(lat + rng.uniform(-0.002, 0.002), LAT[0]), LAT[1])
        dispatched = reported + rng.randint(60, 300 if source == "智能发现" else 3600)
        spent = int(rng.expovariate(1 / (deadline_h * 3600 * 0.45)))
        closed = dispatched + max(spent, 300)
        if closed > extracted_at:
            closed_at, overdue = "", "是" if extracted_at - dispatched > deadline_h * 3600 else "否"
        else:
            closed_at, overdue = _clock(start, closed), "是" if closed - dispatched > deadline_h * 3600 else "否"
        yield [
            f"{prefix}{seq:06d}",
            source,
            case_type,
            category,
            subcategory,
            street.removesuffix("街道") if rng.random() < 0.2 else street,
            grid_code,
            f"{lon:.6f}",
            f"{lat:.6f}",
            _clock(start, reported),
            _clock(start, dispatched),
            closed_at,
            deadline_h,
            overdue,
        ]


def grid_cases(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    return Sheet(
        title=None,  # straight out of the grid system: header on row 1
        header=form_headers("grid_cases"),
        rows=_rows(month, rng, CASES_PER_MONTH, seed),
        format="csv",
        encoding="utf-8-sig",
        footer=None,
        department="区城运中心",
    )
