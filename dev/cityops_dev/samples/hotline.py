"""The 12345 hotline month: one row per ticket, streamed, as the city's ticket system exports it.

About 30,000 tickets a month; `--rows` scales it to a million for benchmarks, so rows are
yielded one by one into `csv.writer` and never held as a list. Receipt times follow the
daily rhythm of calls and come out newest first, as the export sorts them, by drawing
the sorted uniform order statistics from the top down (no sort, no list).
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Iterator
from itertools import accumulate

from cityops.contracts import get_contract
from cityops_dev.samples.spelling import STREET_ROADS, month_end, streets
from cityops_dev.samples.writers import Sheet

TICKETS_PER_MONTH = 30_000
CHANNELS = (["电话", "微信", "一网通办", "APP", "网站"], [70, 10, 8, 7, 5])
REQUEST_TYPES = (["求助", "投诉", "咨询", "建议", "表扬"], [40, 30, 22, 6, 2])
DEADLINE_DAYS = {"求助": 7, "投诉": 7, "咨询": 1, "建议": 15, "表扬": 15}
# 业务大类 -> weight, then 业务小类 with its 承办部门 and what callers say.
CATEGORIES: list[tuple[str, int, list[tuple[str, str, str]]]] = [
    ("市容环卫", 16, [
        ("垃圾清运", "区绿化市容局", "垃圾桶满溢未及时清运"),
        ("垃圾分类", "区绿化市容局", "定时投放点无人值守"),
        ("道路保洁", "区绿化市容局", "人行道有积存垃圾"),
    ]),
    ("城市管理", 15, [
        ("占道经营", "区城管执法局", "商户长期占道经营"),
        ("乱设摊", "区城管执法局", "夜间有流动摊贩"),
        ("违法搭建", "区城管执法局", "邻居在屋顶搭建违建"),
        ("噪声扰民", "区城管执法局", "夜间施工噪声扰民"),
    ]),
    ("住房保障", 18, [
        ("物业服务", "区房管局", "物业不作为，楼道灯坏了无人修"),
        ("房屋渗漏", "区房管局", "楼上渗水至我家天花板"),
        ("电梯故障", "区房管局", "电梯经常停运"),
        ("加装电梯", "区房管局", "加装电梯意见征询推进缓慢"),
    ]),
    ("交通运输", 12, [
        ("停车管理", "区建管委", "小区周边车辆乱停放"),
        ("道路破损", "区建管委", "路面坑洼，行人易绊倒"),
        ("公交服务", "区建管委", "公交到站时间不准"),
    ]),
    ("水务", 8, [
        ("排水不畅", "区水务局", "雨后路面积水严重"),
        ("供水问题", "区水务局", "自来水水压低"),
        ("河道环境", "区水务局", "河面有漂浮垃圾"),
    ]),
    ("绿化", 6, [
        ("树木修剪", "区绿化市容局", "行道树遮挡窗户"),
        ("绿地养护", "区绿化市容局", "绿地内杂草丛生"),
    ]),
    ("市场监管", 11, [
        ("消费纠纷", "区市场监管局", "预付卡商家关门无法退款"),
        ("食品安全", "区市场监管局", "餐饮店卫生条件差"),
    ]),
    ("生态环境", 5, [
        ("油烟污染", "区生态环境局", "饭店油烟直排"),
        ("噪声污染", "区生态环境局", "空调外机噪声大"),
    ]),
    ("社会保障", 9, [
        ("社保医保", "区人社局", "灵活就业社保缴费不成功"),
        ("劳动纠纷", "区人社局", "公司拖欠工资"),
    ]),
]  # fmt: skip
SATISFACTION = ("满意",) * 12 + ("基本满意",) * 4 + ("不满意", "未评价", "未评价")
MOBILE = [
    "139",
    "138",
    "137",
    "136",
    "135",
    "158",
    "159",
    "150",
    "151",
    "186",
    "187",
    "188",
    "189",
    "133",
    "177",
    "180",
]
# Calls per hour of the day: quiet at night, busiest mid-morning and mid-afternoon.
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 4, 8, 13, 16, 17, 15, 11, 12, 15, 16, 15, 13, 9, 8, 7, 6, 4, 3]


def _cum(weights: list[int]) -> list[int]:
    return list(accumulate(weights))


def _time_warp(month: dt.date) -> tuple[list[float], int]:
    """Cumulative call intensity per hour of the month (weekends quieter), and the hours."""
    days = (month_end(month) - month).days + 1
    weights = []
    for day in range(days):
        weekend = (month + dt.timedelta(days=day)).weekday() >= 5
        weights += [w * (0.75 if weekend else 1.0) for w in HOUR_WEIGHTS]
    total = sum(weights)
    return [c / total for c in accumulate(weights)], days


def _clock(day_names: list[str], seconds: int) -> str:
    day, rest = divmod(seconds, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{day_names[day]} {hour:02d}:{minute:02d}:{second:02d}"


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return f"021{rng.choice('56'):s}{rng.randrange(10**7):07d}"
    return f"{rng.choice(MOBILE)}{rng.randrange(10**8):08d}"


def _description(request_type: str, address: str, subcategory: str, complaint: str, dept: str) -> str:
    if request_type == "咨询":
        return f"市民咨询{subcategory}相关政策及办理流程。"
    if request_type == "建议":
        return f"建议加强{address}周边{subcategory}管理。"
    if request_type == "表扬":
        return f"市民表扬{dept}处理{subcategory}问题及时。"
    return f"反映{address}{complaint}，要求处理。"


def _rows(month: dt.date, rng: random.Random, count: int, names: list[str]) -> Iterator[list[str]]:
    """Tickets newest first, each as the contract orders its columns (`names`)."""
    cum_hours, days = _time_warp(month)
    day_names = [f"{month + dt.timedelta(days=d):%Y-%m-%d}" for d in range(days + 60)]
    month_seconds = days * 86400
    extracted_at = month_seconds + 3 * 86400 + 10 * 3600  # the export runs on the 4th at 10:00
    streets_ = streets()
    cat_cum = _cum([w for _, w, _ in CATEGORIES])
    ch_values, ch_cum = CHANNELS[0], _cum(CHANNELS[1])
    rt_values, rt_cum = REQUEST_TYPES[0], _cum(REQUEST_TYPES[1])
    # Repeat callers: a few hundred people call many times a month.
    regulars = [_phone(rng) for _ in range(max(20, count // 60))]
    prefix = f"{month:%Y%m}"
    rand, randrange, choice = rng.random, rng.randrange, rng.choice
    top = 1.0
    for k in range(count, 0, -1):
        top *= rand() ** (1.0 / k)  # the k-th smallest of `count` uniforms, drawn from the top
        slot = min(bisect.bisect_left(cum_hours, top), len(cum_hours) - 1)
        low = cum_hours[slot - 1] if slot else 0.0
        within = (top - low) / (cum_hours[slot] - low)
        received = min(int((slot + within) * 3600), month_seconds - 1)
        category, _, subs = CATEGORIES[bisect.bisect_left(cat_cum, rand() * cat_cum[-1])]
        subcategory, dept, complaint = choice(subs)
        request_type = rt_values[bisect.bisect_left(rt_cum, rand() * rt_cum[-1])]
        if rand() < 0.005:
            street, address = "", choice(["徐汇区漕溪北路", "闵行区虹井路", "普陀区长风路"]) + f"{randrange(1, 900)}号"
        else:
            street = choice(streets_)
            road = choice(STREET_ROADS[street])
            address = (
                f"{road}{randrange(1, 1500)}弄{randrange(1, 80)}号" if rand() < 0.6 else f"{road}{randrange(1, 2000)}号"
            )
            if street.endswith("街道") and rand() < 0.3:
                street = street.removesuffix("街道")
        dispatched = received + 120 + int(rng.expovariate(1 / 3600))
        deadline = DEADLINE_DAYS[request_type] * 86400
        closed = dispatched + int(rng.expovariate(1 / (deadline * 0.35)))
        roll = rand()
        if roll < 0.02:
            status = "退单"  # sent back to the dispatcher: still open
        elif roll < 0.035:
            status, closed = "已撤销", dispatched + randrange(600, 86400)
        elif closed > extracted_at:
            status = "办理中"
        else:
            status = "已办结"
        if status in ("已办结", "已撤销"):
            closed_at = _clock(day_names, closed)
            on_time = "是" if closed - received <= deadline or status == "已撤销" else "否"
            satisfaction = "未评价" if status == "已撤销" else choice(SATISFACTION)
        else:
            closed_at = on_time = ""
            satisfaction = "未评价"
        ticket = {
            "ticket_id": f"{prefix}{k:07d}",
            "received_at": _clock(day_names, received),
            "channel": ch_values[bisect.bisect_left(ch_cum, rand() * ch_cum[-1])],
            "request_type": request_type,
            "category": category,
            "subcategory": subcategory,
            "street": street,
            "address": address,
            "description": _description(request_type, address, subcategory, complaint, dept),
            "caller_phone": choice(regulars) if rand() < 0.12 else _phone(rng),
            "handling_dept": dept,
            "dispatched_at": _clock(day_names, dispatched),
            "closed_at": closed_at,
            "status": status,
            "on_time": on_time,
            "satisfaction": satisfaction,
        }
        yield [ticket[name] for name in names]


def hotline_cases(month: dt.date, rng: random.Random, rows: int | None = None, seed: int | None = None) -> Sheet:
    count = TICKETS_PER_MONTH if rows is None else rows
    columns = get_contract("hotline_cases").columns
    return Sheet(
        title=f"长宁区12345市民服务热线工单明细（{month.year}年{month.month}月）",
        header=[c.header for c in columns],
        rows=_rows(month, rng, count, [c.name for c in columns]),
        format="csv",
        encoding="gbk",  # exported on the centre's Windows PCs: Excel's ANSI, i.e. GBK
        footer=None,  # a system export: no 填报单位 line, no 合计 on a ticket list
        department="区城运中心",
    )
