"""Property-based tests of the cell normalisers (extract/values.py).

Whatever a cell holds (text, any float including NaN and infinity, huge integers, dates,
None), a parser returns a value or a Refusal, never raises; and what it accepts is what
the contract allows: a number that fits the column's SQL type and equals what was
written, a real first-of-month, one of the ten streets, one of the six water classes.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from cityops.contracts import Column, get_contract
from cityops.extract.values import (
    Refusal,
    is_blank,
    parse_cell,
    parse_decimal,
    parse_int,
    parse_month,
    parse_street,
)
from cityops.reference import DISTRICT, official_streets, seed_rows
from cityops.textnorm import fold

GARBAGE = get_contract("garbage_sorting")
TONNES = GARBAGE.column("residual_t")  # decimal, scale 2: numeric(18,2)
HAZARDOUS = GARBAGE.column("hazardous_t")  # decimal, scale 3
PCT = GARBAGE.column("resource_utilization_pct")  # pct: numeric(9,4)
AREAS = GARBAGE.column("residential_areas")  # int: bigint
MONTH = GARBAGE.column("period")
STREET = GARBAGE.column("street")
DISTRICT_STREET = Column(name="street", header="街镇", type="street", allow_district=True)
WATER_CLASS = Column(name="water_class", header="水质类别", type="water_class")
CLASSES = {"Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"}
COLUMNS = [TONNES, HAZARDOUS, PCT, AREAS, MONTH, STREET, DISTRICT_STREET, WATER_CLASS]
BIGINT = 2**63 - 1

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet="0123456789０１２３４５６７８９,.%+-年月日份/ 　eE"),
    st.from_regex(r"[+-]?\d{1,45}(\.\d{1,30})?%?", fullmatch=True),
    st.from_regex(r"\d{4}[-/.年]\d{1,2}月?(\d{1,2}日?)?", fullmatch=True),
    st.dates(),
    st.datetimes(),
)
settings.register_profile("cityops", max_examples=300, deadline=None)
settings.load_profile("cityops")


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _fits(value: str, col: Column) -> bool:
    """Would PostgreSQL take `value` into the column's type without an overflow?"""
    number = Decimal(value)
    if not number.is_finite():
        return False
    if col.sql_type == "bigint":
        return number == number.to_integral() and -BIGINT - 1 <= number <= BIGINT
    precision, scale = (int(x) for x in col.sql_type[len("numeric(") : -1].split(","))
    return number.as_tuple().exponent >= -scale and (not number or number.adjusted() < precision - scale)


@given(cell=anything)
def test_a_parser_returns_a_value_or_a_refusal_and_never_raises(cell):
    for col in COLUMNS:
        value, refusal = parse_cell(cell, col)
        assert (value is None) or isinstance(value, str)
        assert refusal is None or isinstance(refusal, Refusal)
        if col.blank == "reject":
            assert (value is None) != (refusal is None), (col.name, cell, value, refusal)


@given(cell=anything)
@example(cell="NONE")  # a blank spelled as a word: its value is the contract's zero, not a number written
def test_an_accepted_number_fits_its_column_and_is_what_was_written(cell):
    for col in (TONNES, HAZARDOUS, PCT, AREAS):
        value, refusal = parse_cell(cell, col)
        if refusal is not None or value is None:
            continue
        assert _fits(value, col), (col.name, cell, value)
        if isinstance(cell, str) and not is_blank(cell):  # a blank's value is the contract's, not the cell's
            written = Decimal(fold(cell).removesuffix("%").replace(",", ""))
            assert abs(Decimal(value) - written) <= Decimal(1).scaleb(-(col.scale or 4)) / 2


@given(number=st.decimals(min_value=-(10**15), max_value=10**15, places=2, allow_nan=False))
def test_numbers_round_trip_in_every_spelling(number):
    spellings = [str(number), f"{number:,}", _full_width(f"{number:,}"), f" {number} "]
    if abs(number) < 10**12:  # a float (an Excel cell) holds 15 significant digits
        spellings.append(float(number))
    for spelling in spellings:
        value, refusal = parse_decimal(spelling, TONNES)
        assert refusal is None, (spelling, refusal)
        assert Decimal(value) == number, (spelling, value)


@given(number=st.integers(min_value=-BIGINT - 1, max_value=BIGINT))
def test_whole_numbers_round_trip_and_the_bigint_range_is_kept(number):
    for spelling in (str(number), f"{number:,}", _full_width(str(number))):
        assert parse_int(spelling, AREAS) == (str(number), None)
    for outside in (number + 2**64, number - 2**64):
        value, refusal = parse_int(str(outside), AREAS)
        assert value is None and refusal.rule == "wrong_type"


@given(percent=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False))
def test_percentages_round_trip_with_or_without_the_sign(percent):
    for spelling in (f"{percent}%", str(percent), f"{percent}％"):
        value, refusal = parse_decimal(spelling, PCT)
        assert refusal is None and Decimal(value) == percent


@given(cell=anything)
def test_an_accepted_month_is_a_real_first_of_month(cell):
    value, refusal = parse_month(cell, MONTH)
    if refusal is None:
        month = dt.date.fromisoformat(value)
        assert month.day == 1


@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)))
def test_months_round_trip_in_every_spelling(day):
    first = day.replace(day=1).isoformat()
    spellings = [
        day,
        dt.datetime.combine(day, dt.time(9, 30)),
        f"{day:%Y-%m}",
        f"{day.year}年{day.month}月",
        f"{day.year}年{day.month}月份",
        f"{day:%Y%m}",
        f"{day:%Y/%m/%d}",
        _full_width(f"{day:%Y-%m}"),
    ]
    for spelling in spellings:
        assert parse_month(spelling, MONTH) == (first, None), spelling


@given(year=st.integers(min_value=0, max_value=99999), month=st.integers(min_value=-1, max_value=99))
def test_impossible_months_are_refused(year, month):
    value, refusal = parse_month(f"{year:04d}-{month:02d}" if month >= 0 else f"{year}-{month}", MONTH)
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        assert value is None and refusal is not None


@given(cell=anything)
def test_an_accepted_street_is_one_of_the_ten(cell):
    streets = set(official_streets())
    assert len(streets) == 10
    value, refusal = parse_street(cell, STREET)
    assert refusal is not None or value in streets
    value, refusal = parse_street(cell, DISTRICT_STREET)
    assert refusal is not None or value in streets | {DISTRICT}


@given(pad=st.sampled_from(["", " ", "　", "\t", "\n"]), index=st.integers(min_value=0, max_value=9))
def test_every_street_spelling_is_the_official_name(pad, index):
    row = seed_rows("ref_streets")[index]
    official, short = row["street_name"], row["short_name"]
    for spelling in (official, short, f"{pad}{short}{pad}", unicodedata.normalize("NFKD", official)):
        assert parse_street(spelling, STREET) == (official, None)
    assert parse_street(DISTRICT, STREET)[1] is not None, "全区 only where the contract allows it"
    assert parse_street(DISTRICT, DISTRICT_STREET) == (DISTRICT, None)


@given(cell=anything)
def test_an_accepted_water_class_is_one_of_six(cell):
    value, refusal = parse_cell(cell, WATER_CLASS)
    assert refusal is not None or value in CLASSES


@given(
    roman=st.sampled_from([("Ⅰ", "I", "1"), ("Ⅱ", "II", "2"), ("Ⅲ", "III", "3"), ("Ⅳ", "IV", "4"), ("Ⅴ", "V", "5")]),
    worse=st.booleans(),
    suffix=st.sampled_from(["", "类", "类水", "水"]),
)
def test_water_class_spellings_round_trip(roman, worse, suffix):
    canonical, latin, arabic = roman
    if worse and canonical != "Ⅴ":
        return
    expected = ("劣" if worse else "") + canonical
    for spelling in (canonical, latin, latin.lower(), arabic, _full_width(latin)):
        text = ("劣" if worse else "") + spelling + suffix
        assert parse_cell(text, WATER_CLASS) == (expected, None), text
