"""Derived columns: values the warehouse computes from other columns of the same row.

A contract names a derivation (`derive: gb3838_class`) and its inputs (`derive_from`);
the reader stores the result beside what the department reported, so a rule can compare
the two (`equals_column`) and the marts can use the computed value. Inputs and output
are canonical stored text (extract/values.py), None when an input is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

Derivation = Callable[..., str | None]

# GB 3838-2002, surface water, the limits of classes Ⅰ..Ⅴ as the district's template states them.
_CLASSES = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ")
_WORSE_THAN_V = "劣Ⅴ"
_AT_LEAST = {"do": ("7.5", "6", "5", "3", "2")}  # dissolved oxygen: higher is better
_AT_MOST = {
    "codmn": ("2", "4", "6", "10", "15"),
    "nh3n": ("0.15", "0.5", "1.0", "1.5", "2.0"),
    "tp": ("0.02", "0.1", "0.2", "0.3", "0.4"),
}


def _class_index(value: Decimal, limits: tuple[str, ...], higher_is_better: bool) -> int:
    """0..4 for Ⅰ..Ⅴ, 5 for worse than Ⅴ."""
    for index, limit in enumerate(limits):
        if (value >= Decimal(limit)) if higher_is_better else (value <= Decimal(limit)):
            return index
    return len(limits)


def gb3838_class(do: str | None, codmn: str | None, nh3n: str | None, tp: str | None) -> str | None:
    """The water class of a sample: the worst class among its four parameters wins."""
    if None in (do, codmn, nh3n, tp):
        return None
    worst = max(
        _class_index(Decimal(do), _AT_LEAST["do"], True),
        _class_index(Decimal(codmn), _AT_MOST["codmn"], False),
        _class_index(Decimal(nh3n), _AT_MOST["nh3n"], False),
        _class_index(Decimal(tp), _AT_MOST["tp"], False),
    )
    return _CLASSES[worst] if worst < len(_CLASSES) else _WORSE_THAN_V


DERIVATIONS: dict[str, Derivation] = {
    "gb3838_class": gb3838_class,
}
