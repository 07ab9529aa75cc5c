"""No test asserts a wall-clock limit: on a busy machine it fails for no fault of the code.

What such a limit measured belongs in `make bench` (dev/cityops_dev/bench, group `limits`);
a test keeps what must hold: refused, for the right rule, in bounded memory. A wait for
something that may hang (`time.monotonic() < deadline`) is a hang guard, not a limit.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
CLOCKS = {"time", "monotonic", "perf_counter", "process_time", "monotonic_ns", "perf_counter_ns", "time_ns"}
TIMED_NAMES = {"seconds", "elapsed", "duration", "took", "wall"}


def _timed(node: ast.AST) -> str | None:
    """What makes an assert's expression a wall-clock limit, if anything does."""
    for sub in ast.walk(node):
        func = sub.func if isinstance(sub, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in CLOCKS and getattr(func.value, "id", None) == "time":
            return f"time.{func.attr}()"
        if isinstance(sub, ast.Name) and (sub.id.lower() in TIMED_NAMES or sub.id.lower().endswith("_seconds")):
            return sub.id
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value in {"seconds", "elapsed"}:
            return repr(sub.value)
    return None


def wall_clock_asserts(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Assert) or not isinstance(node.test, ast.Compare):
            continue
        names = {n.id.lower() for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        if any("deadline" in name for name in names):
            continue  # a hang guard
        why = _timed(node.test)
        if why:
            found.append((node.lineno, why))
    return found


def test_no_test_asserts_a_wall_clock_limit():
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line} ({why})"
        for path in sorted(TESTS.rglob("*.py"))
        if path != Path(__file__)
        for line, why in wall_clock_asserts(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "wall-clock limits in tests; measure them in make bench instead:\n" + "\n".join(offenders)


def test_the_check_sees_the_limits_it_replaced():
    """The shapes the four files used to have are caught."""
    samples = [
        "started = time.perf_counter()\nrun()\nassert time.perf_counter() - started < 20\n",
        "elapsed = t1 - t0\nassert elapsed < seconds, 'slow'\n",
        "assert result['seconds'] < 10, result\n",
    ]
    assert [len(wall_clock_asserts(s)) for s in samples] == [1, 1, 1]
    assert wall_clock_asserts("assert time.monotonic() < deadline, 'never reached'\n") == []
    assert wall_clock_asserts("assert result['max_rss_mb'] < 400\n") == []
