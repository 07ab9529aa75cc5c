"""Rows a department would fill, derived from the contract alone; and one spoiled row per rule.

A new contract gets valid months and bad rows here without a line of Python: every value
follows the column's type and options (ranges, choices, registries, A ≤ B on the row,
cells empty or required while another column has certain values, computed columns a
reported one must equal). Where a dataset needs a story the contract cannot tell (the
hotline's phone spellings, a programme growing month by month), a caller passes
`stories`: column -> f(i, row) -> value, and the rest still comes from the contract.

`spoils` turns each rule the contract states into a change of a valid row that breaks it,
with the column and rule a rejection must name; columns that other columns compare
with are re-derived from the spoiled value, so one spoil breaks one rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cityops import periods
from cityops.contracts import Column, Contract
from cityops.extract.derive import DERIVATIONS
from cityops.reference import official_streets, reference_rows

Row = dict[str, Any]
Story = Callable[[int, Row], Any]
NUMBERS = {"int", "decimal", "pct"}
WATER_CLASSES = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ")
_UNREADABLE = {"int": "七十", "decimal": "约三吨", "pct": "大部分", "date": "三月", "datetime": "昨天下午"}


class Infeasible(ValueError):
    """A spoil that cannot break one rule alone (its neighbours would break too)."""


@dataclass(frozen=True)
class Spoil:
    """A change to a valid row, the column whose cell must be named, the rule and its severity."""

    changes: dict[str, Any]
    column: str
    rule: str
    severity: str = "block"


def _ordered(contract: Contract) -> list[Column]:
    """Columns in an order where each comes after those its options compare it with."""
    done: list[Column] = []
    names: set[str] = set()
    waiting = list(contract.columns)
    while waiting:
        ready = [c for c in waiting if set(c.references()) <= names]
        if not ready:
            raise ValueError(f"{contract.dataset}: the columns' options refer to each other in a circle")
        for col in ready:
            done.append(col)
            names.add(col.name)
            waiting.remove(col)
    return done


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", ""))
    except ArithmeticError:
        return None


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return None


@dataclass
class RowMaker:
    contract: Contract
    month: dt.date = dt.date(2025, 3, 1)
    stories: dict[str, Story] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Rows in a valid month: enough to show variety, within the contract's row count."""
        wanted = max(self.contract.row_count_min, 10 if self.contract.every_street else 12)
        return min(wanted, self.contract.row_count_max or wanted)

    def rows(self, count: int | None = None, start: int = 0) -> list[Row]:
        return [self.row(i) for i in range(start, start + (count or self.count))]

    def row(self, i: int, forced: dict[str, Any] | None = None) -> Row:
        """The i-th valid row (spelling variants included); `forced` values stand, the rest follow them."""
        forced = forced or {}
        row: Row = {}
        computed: Row = {}  # derived columns: not in the file, but a reported column may have to equal one
        for col in _ordered(self.contract):
            if col.derive:
                inputs = [_canonical(row.get(name)) for name in col.derive_from]
                computed[col.name] = DERIVATIONS[col.derive](*inputs)
            elif col.name in forced:
                row[col.name] = forced[col.name]
            elif col.name in self.stories:
                row[col.name] = self.stories[col.name](i, {**row, **computed})
            else:
                row[col.name] = self._value(col, i, {**row, **computed})
        return row

    # --- a valid cell ---------------------------------------------------------------------

    def unconditional(self, col: Column, row: Row) -> Any:
        """A filled value of `col` that suits `row`, as if no condition asked for it to be empty."""
        return self._value(col.model_copy(update={"blank_when": None}), 0, row)

    def _value(self, col: Column, i: int, row: Row) -> Any:
        if col.blank_when and row.get(col.blank_when["column"]) in col.blank_when["values"]:
            return None
        required = col.required or (
            col.required_when and row.get(col.required_when["column"]) in col.required_when["values"]
        )
        if not required and i % 7 == 6:
            return None  # departments leave optional cells empty now and then
        if col.equals_column:
            return row.get(col.equals_column)
        if col.matches_reference:
            option = col.matches_reference
            found = reference_rows(option["reference"]).get(row.get(option["key_column"]))
            return found[option["field"]] if found else None
        if col.type in NUMBERS:
            return self._figure(col, i, row)
        if col.type in {"date", "datetime"}:
            return self._when(col, i, row)
        return self._word(col, i)

    def _word(self, col: Column, i: int) -> Any:
        if col.type == "month":
            month = self.month
            return [f"{month:%Y-%m}", f"{month.year}年{month.month}月", f"{month:%Y%m}", f"{month.year}/{month.month}"][
                i % 4
            ]
        if col.type == "street":
            street = official_streets()[i % 10]
            return street.removesuffix("街道") if i % 3 == 1 else street  # 华阳路 as often as 华阳路街道
        if col.values:
            return col.values[i % len(col.values)]
        if col.type == "water_class":
            return WATER_CLASSES[i % len(WATER_CLASSES)]
        if col.reference:
            keys = sorted(reference_rows(col.reference))
            return keys[i % len(keys)]
        if col.personal:
            digits = f"1391234{i:04d}"
            return [digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"+86-{digits}"][i % 3]
        text = f"{col.name}-{i:05d}" if col.name in self.contract.key else f"{col.header}{i}"
        return text[: col.max_length] if col.max_length else text

    def _bounds(self, col: Column, row: Row) -> tuple[Decimal, Decimal]:
        low = Decimal(str(col.min)) if col.min is not None else Decimal(0)
        high = Decimal(str(col.max)) if col.max is not None else low + 100
        if col.reference_range:
            option = col.reference_range
            found = reference_rows(option["reference"]).get(row.get(option["key_column"]))
            if found:
                low, high = Decimal(found[option["min_field"]]), Decimal(found[option["max_field"]])
        if col.min_column and _number(row.get(col.min_column)) is not None:
            low = max(low, _number(row[col.min_column]))
        if col.max_column and _number(row.get(col.max_column)) is not None:
            high = min(high, _number(row[col.max_column]))
        if high < low or (col.min_exclusive and high == low):
            raise Infeasible(f"{col.name}: nothing lies between {low} and {high}")
        return low, high

    def _figure(self, col: Column, i: int, row: Row) -> Any:
        low, high = self._bounds(col, row)
        share = Decimal(20 + (i * 37) % 61) / 100  # 0.20 .. 0.80 of the way: inside, never on a bound
        value = low + (high - low) * share
        if col.type == "int":
            whole = int(value)
            return whole if whole > low or not col.min_exclusive else whole + 1
        return float(round(value, col.scale if col.scale is not None else 2))

    def _when(self, col: Column, i: int, row: Row) -> Any:
        after = _moment(row.get(col.min_column)) if col.min_column else None
        if after is not None:
            step = dt.timedelta(minutes=30 * (1 + i % 4)) if col.type == "datetime" else dt.timedelta(days=1 + i % 20)
            moment = after + step
        elif col.inside_period:
            moment = dt.datetime.combine(self.month, dt.time(8 + i % 10, 5 * (i % 12))) + dt.timedelta(days=i % 28)
        else:
            moment = dt.datetime.combine(self.month, dt.time(9)) - dt.timedelta(days=30 + i % 60)
        if col.inside_period and moment >= dt.datetime.combine(periods.next_month(self.month), dt.time()):
            moment = dt.datetime.combine(periods.next_month(self.month), dt.time()) - dt.timedelta(minutes=1)
        return moment if col.type == "datetime" else moment.date()

    # --- spoiled rows ---------------------------------------------------------------------

    def spoils(self) -> list[Spoil]:
        """One change per rule the contract states, each breaking that rule alone."""
        found = []
        for col in self.contract.columns:
            if col.derive or col.personal:
                continue
            if self.contract.every_street and col.type == "street":
                continue  # a street spoiled would also be a street missing from the month
            for make in _SPOILERS:
                spoil = make(self, col)
                if spoil is not None:
                    found.append(spoil)
        return found

    def spoiled_row(self, i: int, spoil: Spoil) -> Row:
        """Row i with the spoil applied; the columns compared with it follow the spoiled value.

        A change is a value, or a function of the row so far (row i, with the changes before it).
        """
        base = self.row(i)
        working, forced = dict(base), {}
        for name, change in spoil.changes.items():
            forced[name] = working[name] = change(working) if callable(change) else change
        spoiled = self.row(i, forced)
        for col in self.contract.columns:  # a registry entry the spoil made unknown: the cell keeps its value
            if col.required and col.name not in forced and spoiled.get(col.name) is None:
                spoiled[col.name] = base.get(col.name)
        return spoiled

    def feasible(self, spoil: Spoil, i: int = 100) -> bool:
        try:
            self.spoiled_row(i, spoil)
        except Infeasible:
            return False
        return True


def _canonical(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else format(number, "f")


def _check(col: Column, check: str, changes: dict[str, Any]) -> Spoil:
    rule, severity = col.rule(check)
    return Spoil(changes, col.name, rule, severity)


def _required(maker: RowMaker, col: Column) -> Spoil | None:
    return _check(col, "required", {col.name: ""}) if col.required else None


def _unreadable(maker: RowMaker, col: Column) -> Spoil | None:
    if col.type in _UNREADABLE:
        return Spoil({col.name: _UNREADABLE[col.type]}, col.name, "wrong_type")
    return None


def _below(maker: RowMaker, col: Column) -> Spoil | None:
    if col.min is None or col.type not in NUMBERS:
        return None
    value = col.min if col.min_exclusive else col.min - 1
    return _check(col, "above_min" if col.min_exclusive else "min_value", {col.name: value})


def _above(maker: RowMaker, col: Column) -> Spoil | None:
    return _check(col, "max_value", {col.name: col.max + 1}) if col.max is not None and col.type in NUMBERS else None


def _not_a_choice(maker: RowMaker, col: Column) -> Spoil | None:
    return _check(col, "not_in_list", {col.name: "不在选项中"}) if col.values else None


def _not_known(maker: RowMaker, col: Column) -> Spoil | None:
    if col.type == "street":
        return Spoil({col.name: "徐家汇街道"}, col.name, "unknown_street")  # a street of another district
    if col.type == "water_class":
        return Spoil({col.name: "VI"}, col.name, "not_in_list")
    if col.reference:
        return Spoil({col.name: "名录中没有"}, col.name, "not_in_reference")
    return None


def _too_long(maker: RowMaker, col: Column) -> Spoil | None:
    if col.max_length and col.type == "text" and not col.reference and not col.matches_reference:
        return Spoil({col.name: "长" * (col.max_length + 1)}, col.name, "too_long")
    return None


def _wrong_month(maker: RowMaker, col: Column) -> Spoil | None:
    if not col.equals_period:
        return None
    return _check(col, "period_mismatch", {col.name: periods.period_text(periods.previous_month(maker.month))})


def _outside_month(maker: RowMaker, col: Column) -> Spoil | None:
    if not col.inside_period:
        return None
    first = dt.datetime.combine(periods.next_month(maker.month), dt.time())
    return _check(col, "outside_period", {col.name: first if col.type == "datetime" else first.date()})


def _against_column(maker: RowMaker, col: Column) -> Spoil | None:
    """A ≤ B on the row, broken: this column just past the other (which is filled first)."""
    if not (col.max_column or col.min_column):
        return None
    other = maker.contract.column(col.max_column or col.min_column)

    def other_filled(row: Row) -> Any:
        return row[other.name] if row.get(other.name) not in (None, "") else maker.unconditional(other, row)

    if col.max_column:
        past, check = (lambda row: float(_number(row[other.name]) + 1)), "not_greater_than_column"
    else:
        step = dt.timedelta(hours=1) if col.type == "datetime" else dt.timedelta(days=1)
        past, check = (lambda row: row[other.name] - step), "not_less_than_column"
    return _check(col, check, {other.name: other_filled, col.name: past})


def _differs(maker: RowMaker, col: Column) -> Spoil | None:
    """A reported value that must equal a computed one (the water class), reported otherwise."""
    if not col.equals_column:
        return None
    choices = col.values or WATER_CLASSES
    return _check(col, "not_equal_to_column", {col.name: lambda row: next(v for v in choices if v != row[col.name])})


def _registry(maker: RowMaker, col: Column) -> Spoil | None:
    if col.matches_reference:
        return _check(col, "reference_mismatch", {col.name: "与名录不符"})
    if col.reference_range:
        return _check(col, "outside_reference_range", {col.name: 1e9})
    return None


def _blank_when(maker: RowMaker, col: Column) -> Spoil | None:
    """Filled while the other column has a value that wants it empty."""
    if not col.blank_when:
        return None
    other, trigger = col.blank_when["column"], col.blank_when["values"][0]
    return _check(col, "must_be_blank_when", {other: trigger, col.name: lambda row: maker.unconditional(col, row)})


def _required_when(maker: RowMaker, col: Column) -> Spoil | None:
    """Empty while the other column has a value that needs it filled."""
    if not col.required_when:
        return None
    other, trigger = col.required_when["column"], col.required_when["values"][0]
    return _check(col, "required_when", {other: trigger, col.name: None})


_SPOILERS = [
    _required,
    _unreadable,
    _below,
    _above,
    _not_a_choice,
    _not_known,
    _too_long,
    _wrong_month,
    _outside_month,
    _against_column,
    _differs,
    _registry,
    _blank_when,
    _required_when,
]
