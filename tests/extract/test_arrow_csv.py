"""Arrow reads a CSV's body (extract/arrowcsv.py): it must give what Python's reader gives.

Every file here is read twice, by the Arrow path and by the Python path alone, and the
two must agree on every row number, every stored value and every problem, including
where the Arrow path gives up and the Python path goes on. Blocks are made tiny so that
rows of another length, blank rows and footers fall on block boundaries.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cityops.contracts import get_contract
from cityops.extract import arrowcsv, reader
from cityops.extract.pii import PersonalHasher
from cityops.extract.reader import canonical_chunks, open_extract
from cityops.extract.sniff import FileRefused
from cityops.problems import ProblemLog
from cityops.settings import Home
from tests.fixtures.garbage import write_csv

HOTLINE = get_contract("hotline_cases")
HEADER = [c.header for c in HOTLINE.columns]
TITLE = "长宁区12345市民服务热线工单明细（2025年3月）"


def _ticket(i: int, **changes: Any) -> list[Any]:
    row = {
        "ticket_id": f"20250300{i:05d}",
        "received_at": f"2025-03-{1 + i % 28:02d} 08:{i % 60:02d}:00",
        "channel": ["电话", "网站", "微信", "APP", "一网通办"][i % 5],
        "request_type": ["投诉", "求助", "咨询"][i % 3],
        "category": "市容环卫",
        "subcategory": "道路保洁" if i % 4 else "",
        "street": ["华阳路街道", "新泾镇", "", "天山路"][i % 4],
        "address": f"愚园路{i}号",
        "description": f"反映愚园路{i}号垃圾，要求处理。",
        "caller_phone": ["13800000000", "+86 139-0000-0001", "", "１３８００００００００"][i % 4],
        "handling_dept": "区绿化市容局",
        "dispatched_at": f"2025-03-{1 + i % 28:02d} 09:00:00",
        "closed_at": f"2025-03-{1 + i % 28:02d} 18:00:00" if i % 3 else "",
        "status": "已办结" if i % 3 else "办理中",
        "on_time": "是" if i % 3 else "",
        "satisfaction": "满意",
    }
    row.update(changes)
    return list(row.values())


def _read(path: Path, *, arrow: bool, monkeypatch: pytest.MonkeyPatch, hasher=None):
    """(row numbers, stored columns, kept problems, problem counts, refusal) of one read."""
    with monkeypatch.context() as patch:
        if not arrow:
            patch.setattr(reader.arrowcsv, "eligible", lambda kind: False)
        log = ProblemLog()
        numbers: list[int] = []
        columns: list[list[Any]] = [[] for _ in HOTLINE.columns]
        refused = None
        extract = open_extract(path, HOTLINE, log)
        if extract is not None:
            try:
                for chunk in canonical_chunks(extract, HOTLINE, log, hasher):
                    numbers += [int(n) for n in chunk.numbers]
                    for stored, array in zip(columns, chunk.columns, strict=True):
                        stored += array.to_pylist()
            except FileRefused as exc:
                refused = (exc.rule, exc.details)
                numbers, columns = [], []  # a refused file stages nothing (the COPY is rolled back)
    # Problems as the reports list them (by row; the order of reading across columns is not shown)
    return numbers, columns, log.errors + log.warnings, dict(log.counts), refused


def _agree(path: Path, monkeypatch: pytest.MonkeyPatch, hasher=None, block: int = 512) -> tuple:
    monkeypatch.setattr(arrowcsv, "BLOCK_BYTES", block)
    fast = _read(path, arrow=True, monkeypatch=monkeypatch, hasher=hasher)
    slow = _read(path, arrow=False, monkeypatch=monkeypatch, hasher=hasher)
    assert fast[0] == slow[0], "row numbers"
    assert fast[1] == slow[1], "stored values"
    assert fast[2] == slow[2], "problems kept"
    assert fast[3] == slow[3], "problem counts"
    assert fast[4] == slow[4], "refusal"
    return fast


def _messy_lines() -> list[list[Any]]:
    tickets = [_ticket(i) for i in range(60)]
    tickets[3] = _ticket(3, description='多行\n诉求\r\n内容, 带逗号和"引号"')
    tickets[7] = _ticket(7, received_at="2025-03-32 25:61:00", channel="传真")  # refused cells
    tickets[9] = _ticket(9)[:5]  # a short row: padded, its missing cells are blanks
    tickets[11] = [*_ticket(11), "多出来的", "单元格"]  # a long row
    tickets[13] = ["", "", "", *_ticket(13)[3:]]  # the first three cells blank
    tickets[15] = [" 2025030000015", *_ticket(15)[1:]]  # a leading space
    tickets[17] = ["\u3000", *_ticket(17)[1:]]  # an ideographic space
    tickets[19] = ["小计", "", "", *[""] * 13]  # a subtotal row in the middle
    tickets[21] = [*_ticket(21)[:8], '=HYPERLINK("x")', *_ticket(21)[9:]]
    tickets[23] = _ticket(23, description="x" * 4001)  # too long
    lines: list[list[Any]] = [[TITLE], [], HEADER, ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]]
    lines += tickets[:30] + [[]] + tickets[30:]  # a blank row
    lines += [["合计", "60"], [], ["填报单位：区城运中心    填报人：王敏"], [], []]
    return lines


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8", ","), ("gb18030", ","), ("utf-8-sig", ","), ("utf-8", "\t")]
)
def test_a_messy_month_reads_the_same_both_ways(tmp_path, monkeypatch, encoding, delimiter):
    path = write_csv(tmp_path / "2025-03.csv", _messy_lines(), encoding=encoding, delimiter=delimiter)
    numbers, columns, kept, counts, refused = _agree(path, monkeypatch)
    assert refused is None
    assert numbers[0] == 5 and 34 in numbers  # title, blank, header, an empty row; the row after the blank one
    assert len(numbers) == 59  # 60 tickets, less the subtotal row
    assert {p.rule for p in kept} >= {"wrong_type", "not_in_list", "too_long"}


def test_random_files_read_the_same_both_ways(tmp_path, monkeypatch):
    rng = random.Random(15)
    cells = ["", " ", "\u3000", "合计", "小计", "填报人：王", "单位：吨", '"', "a\nb", "\r", "x,y", "吨", "-"]
    for attempt in range(12):
        lines: list[list[Any]] = [[TITLE], HEADER]
        for i in range(rng.randint(1, 80)):
            row = _ticket(i)
            for _ in range(rng.randint(0, 3)):
                row[rng.randrange(len(row))] = rng.choice(cells)
            lines.append(row[: rng.randint(1, 18)] if rng.random() < 0.1 else row)
            if rng.random() < 0.05:
                lines.append([])
        encoding = rng.choice(["utf-8", "gb18030"])
        _agree(write_csv(tmp_path / f"{attempt}.csv", lines, encoding=encoding), monkeypatch)


def test_bad_bytes_midway_are_refused_at_the_same_row(tmp_path, monkeypatch):
    lines = [[TITLE], HEADER, *[_ticket(i) for i in range(7000)]]
    for encoding, bad in (("gb18030", b"\x81\x20"), ("utf-8", b"\xff\xfe")):
        raw = write_csv(tmp_path / "good.csv", lines, encoding=encoding).read_bytes()
        cut = raw.index(b"2025030006990")  # beyond the first MiB, where the encoding is guessed
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(raw[:cut] + bad + raw[cut:])
        *_, refused = _agree(path, monkeypatch, block=64 << 10)
        assert refused is not None and refused[0] == "unknown_encoding"
        assert refused[1]["row_number"] == 6993  # title, header, tickets 0..6990


def test_phone_hashes_are_hmac_sha256_byte_for_byte(tmp_path, monkeypatch):
    values = ["13800000000", "+86 138-0000-0000", "8613800000000", "１３８００００００００", "", None, "无", "021-6252"]
    for key in ("k", "x" * 64, "long-" * 30):
        monkeypatch.setenv("CITYOPS_PII_KEY", key)
        hasher = PersonalHasher(Home(tmp_path))
        expected = []
        for value in values:
            digits = "".join(ch for ch in value or "" if ch.isdecimal())
            digits = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
            expected.append(hmac.new(key.encode(), digits.encode(), hashlib.sha256).hexdigest() if digits else None)
        assert [hasher(v) for v in values] == expected
        assert hasher.hash_array(pa.array(values, pa.string())).to_pylist() == expected
    path = write_csv(tmp_path / "2025-03.csv", _messy_lines(), encoding="gb18030")
    _agree(path, monkeypatch, hasher=hasher)
