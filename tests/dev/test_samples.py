"""The sample generator: every dataset's month, deterministic, streaming, consistent across
months, and loadable; the committed samples and templates are what the code writes today."""

from __future__ import annotations

import datetime as dt
import filecmp
import random

import pytest

from cityops.contracts import all_contracts
from cityops.extract.reader import open_extract
from cityops.extract.values import parse_water_class
from cityops.ingest import ingest
from cityops.problems import ProblemLog
from cityops.report.forms import write_templates
from cityops_dev.samples import write_month
from cityops_dev.samples.generators import GENERATORS
from cityops_dev.samples.hotline import hotline_cases
from cityops_dev.samples.housing import STAGES, elevators
from cityops_dev.samples.overhead import figures, programme
from cityops_dev.samples.spelling import month_from_index, month_index
from cityops_dev.samples.water import gb3838_class, water_quality
from tests.fixtures.commands import ROOT

MARCH = dt.date(2025, 3, 1)
SAMPLES = ROOT / "extract" / "samples"
SMALL = [d for d in GENERATORS if d not in ("hotline_cases", "grid_cases")]


def test_every_story_generator_has_its_contract():
    assert set(GENERATORS) <= set(all_contracts())


def test_a_month_has_all_eleven_files_with_the_contract_headers(tmp_path):
    paths = write_month(MARCH, tmp_path, hotline_rows=500)
    assert {p.parent.name for p in paths} == set(all_contracts())
    for path in paths:
        assert path == tmp_path / path.parent.name / f"2025-03{path.suffix}"
        assert path.suffix in (".xlsx", ".csv")
        log = ProblemLog()
        extract = open_extract(path, all_contracts()[path.parent.name], log)
        assert extract is not None and not log.counts, (path, log.summary())


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    for folder, seed in (("a", 7), ("b", 7), ("c", 8)):
        write_month(MARCH, tmp_path / folder, seed=seed, hotline_rows=300, datasets=SMALL + ["hotline_cases"])
    for dataset in [*SMALL, "hotline_cases"]:
        name = next((tmp_path / "a" / dataset).iterdir()).name
        a, b, c = (tmp_path / f / dataset / name for f in "abc")
        assert filecmp.cmp(a, b, shallow=False), dataset
    assert not filecmp.cmp(
        tmp_path / "a/hotline_cases/2025-03.csv", tmp_path / "c/hotline_cases/2025-03.csv", shallow=False
    )


def test_the_hotline_month_streams_any_number_of_rows(tmp_path):
    sheet = hotline_cases(MARCH, random.Random(1), rows=50_000)
    assert not isinstance(sheet.rows, list)  # a generator: a million rows never sit in memory
    (path,) = write_month(MARCH, tmp_path, hotline_rows=50_000, datasets=["hotline_cases"])  # its time: make bench
    lines = path.read_text(encoding="gbk").splitlines()
    assert lines[2].startswith("工单编号")
    rows = [line.split(",") for line in lines[3:]]
    assert len(rows) == 50_000
    assert len({r[0] for r in rows}) == 50_000
    received = [r[1] for r in rows]
    assert received == sorted(received, reverse=True)  # the export lists the newest first
    assert received[-1] >= "2025-03-01" and received[0] < "2025-04-01"
    phones = [r[9] for r in rows]
    assert len(set(phones)) < len(phones)  # repeat callers


def test_cumulative_overhead_lines_start_at_the_plan_baseline_and_never_fall():
    projects = programme(None)
    at_2020 = [figures(p, 0) for p in projects]
    assert round(sum(f[0] for f in at_2020), 2) == 82.2
    assert round(sum(f[1] for f in at_2020), 2) == 69.2
    for project in projects:
        previous = (0.0, 0.0, 0)
        for m in range(0, 80):
            started, completed, poles, _ = figures(project, m)
            assert completed <= started <= project.planned_km
            assert (started, completed, poles) >= previous and started >= previous[0] and completed >= previous[1]
            previous = (started, completed, poles)


def test_elevator_stages_never_move_backwards():
    for elevator in elevators(None):
        stages = [elevator.stage_at(m) for m in range(-12, 90)]
        assert stages == sorted(stages)
        assert max(stages) < len(STAGES)


def test_water_classes_follow_gb3838_except_one_slip_a_month():
    assert gb3838_class(7.8, 1.5, 0.1, 0.01) == "Ⅰ"
    assert gb3838_class(7.8, 1.5, 1.2, 0.01) == "Ⅳ"
    assert gb3838_class(1.5, 3, 0.3, 0.05) == "劣Ⅴ"
    column = all_contracts()["water_quality"].column("water_class")
    spellings = set()
    for m in range(49, 55):
        sheet = water_quality(month_from_index(m), random.Random(m))
        mismatches = 0
        for row in sheet.rows:
            spellings.add(row[7])
            reported, refusal = parse_water_class(row[7], column)
            assert refusal is None, row
            mismatches += reported != gb3838_class(*row[3:7])
        assert mismatches == 1
    assert {"IV", "4类"} & spellings and any(s.endswith("类") for s in spellings)


def test_month_index_counts_from_the_plan_baseline():
    assert month_index(dt.date(2020, 12, 1)) == 0
    assert month_index(MARCH) == 51
    assert month_from_index(51) == MARCH


@pytest.mark.parametrize("period", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_the_committed_samples_are_what_the_generator_writes(tmp_path, period):
    paths = write_month(dt.date.fromisoformat(f"{period}-01"), tmp_path)
    for path in paths:
        committed = SAMPLES / period / path.parent.name / path.name
        assert filecmp.cmp(path, committed, shallow=False), f"{committed} is stale: regenerate (extract/README.md)"


def test_the_committed_templates_are_what_the_contracts_give(tmp_path):
    for path in write_templates(tmp_path):
        committed = ROOT / "extract" / "templates" / path.name
        assert filecmp.cmp(path, committed, shallow=False), (
            f"{committed} is stale: cityops templates --out extract/templates"
        )


@pytest.mark.slow
def test_every_committed_sample_loads_month_after_month(wh):
    """The first committed month loads whole; the later ones load too, in month order, so the
    cross-month rules (cumulative km, elevator stages, residential areas) meet real samples.
    The big ticket files of later months are left to the manual check (extract/README.md)."""
    periods = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())
    for period in periods:
        for folder in sorted((SAMPLES / period).iterdir()):
            if period != periods[0] and folder.name in ("hotline_cases", "grid_cases"):
                continue
            (path,) = folder.iterdir()
            outcome = ingest(path, folder.name, period)
            assert outcome.status == "loaded", (period, folder.name, outcome.to_json()["errors"][:3])
            assert not [w for w in outcome.problems.warnings if w.rule != "class_mismatch"], (period, folder.name)
