"""How clerks really write things: months, streets, numbers, dates, as the reader accepts them.

Every variant here is one department-extracts.md calls normal (`2025年3月`, `华阳路`,
`1,234.5`, `68%`, full-width digits); none of them should make a valid file fail.
"""

from __future__ import annotations

import datetime as dt
import random

from cityops.periods import add_months, next_month
from cityops.reference import official_streets, seed_rows

_FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")

# The month the plan's baselines describe (end of 2020): month index 0.
BASELINE = dt.date(2020, 12, 1)


def month_index(month: dt.date) -> int:
    """Months since the plan's baseline (2021-01 is 1): figures that must never fall derive from it."""
    return (month.year - BASELINE.year) * 12 + month.month - BASELINE.month


def month_from_index(index: int) -> dt.date:
    return add_months(BASELINE, index)


def month_end(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def cn_month(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def month_cell(month: dt.date, rng: random.Random, *, excel: bool = False) -> object:
    """统计月份 as typed: `2025-03`, `2025年3月`, `202503`, `2025/3`, or an Excel date cell."""
    choices: list[object] = [f"{month:%Y-%m}", cn_month(month), f"{month:%Y%m}", f"{month.year}/{month.month}"]
    if excel:
        choices.append(dt.datetime(month.year, month.month, 1))
    return rng.choice(choices)


def street_cell(street: str, rng: random.Random, *, short: float = 0.35, stray: float = 0.05) -> str:
    """`华阳路街道`, often `华阳路`, now and then with a stray (ideographic) space."""
    text = street
    if street.endswith("街道") and rng.random() < short:
        text = street.removesuffix("街道")
    if rng.random() < stray:
        text = rng.choice(
            [f" {text}", f"{text} ", text.replace("街道", "\u3000街道") if "街道" in text else f"{text}\u3000"]
        )
    return text


def full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def number_cell(value: float, decimals: int, rng: random.Random, *, odd: float = 0.1) -> object:
    """A number as a cell: mostly the number, sometimes `1,234.50` or full-width digits."""
    value = round(value, decimals)
    roll = rng.random()
    if roll < odd / 2 and abs(value) >= 1000:
        return f"{value:,.{decimals}f}"
    if roll < odd:
        return full_width(f"{value:.{decimals}f}")
    return int(value) if decimals == 0 else value


def pct_cell(value: float, rng: random.Random, *, decimals: int = 1) -> object:
    """A percentage as `68%`, `68.0` or `68`."""
    value = round(value, decimals)
    return rng.choice([f"{value:.{decimals}f}%", value, f"{value:.{decimals}f}"])


def date_cell(day: dt.date | None, rng: random.Random, *, excel: bool = True) -> object:
    """A date as typed: an Excel date, `2024/5/3`, `2024-05-03`, `2024年5月3日`, `2024.5.3`; None stays empty."""
    if day is None:
        return None
    choices: list[object] = [
        f"{day.year}/{day.month}/{day.day}",
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month}.{day.day}",
    ]
    if excel:
        choices += [day, day]
    return rng.choice(choices)


def street_codes() -> dict[str, str]:
    return {row["street_name"]: row["street_code"] for row in seed_rows("ref_streets")}


def streets() -> list[str]:
    return official_streets()


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙史陶贺顾毛郝龚邵万钱严覃武戴莫孔汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健俊帆帅旭宁婷雪琳晶颖慧佳欣"
    "怡晨辰诚峰建国文海波"
)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


# Roads of 长宁区 (the plan counts 167); the east end is inside the inner ring.
ROADS_INNER = [
    "愚园路", "江苏路", "武夷路", "定西路", "安化路", "宣化路", "万航渡路", "镇宁路", "华山路",
    "番禺路", "新华路", "法华镇路", "淮海西路", "凯旋路", "延安西路", "长宁路", "幸福路", "利西路",
]  # fmt: skip
ROADS_OUTER = [
    "虹桥路", "中山西路", "安顺路", "兴义路", "玛瑙路", "古北路", "伊犁路", "仙霞路", "茅台路",
    "天山路", "遵义路", "娄山关路", "芙蓉江路", "威宁路", "水城路", "剑河路", "哈密路", "北虹路",
    "虹井路", "协和路", "广顺路", "金浜路", "天山西路", "北翟路", "淞虹路", "福泉路", "临新路",
    "绥宁路", "泉口路", "青溪路", "平塘路", "紫云路", "黄金城道", "虹古路", "红宝石路", "姚虹路",
    "双流路", "可乐路", "运光路", "新渔路", "昭化路", "新泾路", "甘溪路", "广顺北路", "金钟路",
]  # fmt: skip
ROADS = ROADS_INNER + ROADS_OUTER

# Roads that run through each street, for addresses a caller would give.
STREET_ROADS = {
    "华阳路街道": ["长宁路", "愚园路", "安化路", "定西路", "延安西路", "凯旋路"],
    "江苏路街道": ["江苏路", "愚园路", "武夷路", "镇宁路", "万航渡路", "华山路"],
    "新华路街道": ["新华路", "番禺路", "法华镇路", "淮海西路", "凯旋路", "幸福路"],
    "周家桥街道": ["长宁路", "中山西路", "安顺路", "万航渡路", "紫云路"],
    "天山路街道": ["天山路", "遵义路", "娄山关路", "仙霞路", "芙蓉江路"],
    "仙霞新村街道": ["仙霞路", "茅台路", "威宁路", "水城路", "古北路"],
    "虹桥街道": ["虹桥路", "古北路", "伊犁路", "玛瑙路", "兴义路", "黄金城道"],
    "程家桥街道": ["虹桥路", "虹古路", "姚虹路", "哈密路", "红宝石路"],
    "北新泾街道": ["天山西路", "金钟路", "哈密路", "新泾路", "平塘路", "泉口路"],
    "新泾镇": ["北翟路", "淞虹路", "福泉路", "剑河路", "协和路", "临新路", "新渔路"],
}
