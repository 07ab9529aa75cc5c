"""The subject database: marts from a month of every dataset, incremental months, corrections.

One module-scoped warehouse story, built three times (dbt is the slow part):
  A. January, every dataset              → full build
  B. February, four datasets             → incremental build (only February's tickets)
  C. a corrected February hotline file   → the February tickets replaced, January untouched
  D. March's grid cases, and a test that fails → nothing published, the incremental grid
     fact included (it is built behind the same swap as the rest)
  E. February's grid cases withdrawn     → (cityops withdraw, no replacement) February's cases gone
  F. a full refresh                       → the same marts, row for row, as B–E's partial builds left
Every test then reads what the story left behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from cityops.errors import BuildNotPublished
from cityops.ingest import ingest
from cityops.load.warehouse import connect
from cityops.periods import parse_period
from cityops.transform.dbt import build
from cityops_dev.samples import write_month
from tests.fixtures.commands import ROOT, cityops
from tests.fixtures.db import RESET, query, scalar

STATUSES = {"on_track", "at_risk", "off_track", "no_data"}
FEBRUARY = ("hotline_cases", "grid_cases", "city_indicators", "garbage_sorting")
CORRECTION_DROPS = 40  # tickets missing from the corrected February file


def month_files(period: str, scratch: Path, datasets: tuple[str, ...] | None = None) -> dict[str, Path]:
    """The sample files of a month: extract/samples when checked in, else freshly generated."""
    folder = ROOT / "extract" / "samples" / period
    if not folder.is_dir():
        folder = scratch / period
        write_month(parse_period(period), folder)
    files = {path.parent.name: path for path in sorted(folder.glob("*/*")) if path.is_file()}
    return {ds: path for ds, path in files.items() if datasets is None or ds in datasets}


def ingest_all(files: dict[str, Path], period: str) -> None:
    for dataset, path in files.items():
        outcome = ingest(path, dataset, period)
        assert outcome.status == "loaded", (dataset, outcome.status, outcome.message)


def run_results(home) -> dict[str, dict]:
    results = json.loads((home.dbt_target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r for r in results}


def facts_by_month(home, fact: str = "fct_hotline_tickets", key: str = "ticket_id") -> dict[str, tuple[int, str]]:
    """Rows and a digest of (key, batch) per month: an untouched month keeps both.

    (Not the row versions: a build merges a large fact's new months into the published table.)
    """
    rows = query(
        home,
        f"select month_start::text, count(*), md5(string_agg({key} || batch_id, ',' order by {key})) "
        f"from marts.{fact} group by 1",
    )
    return {month: (n, digest) for month, n, digest in rows}


def tickets_by_month(home) -> dict[str, tuple[int, str]]:
    return facts_by_month(home)


def grid_by_month(home) -> dict[str, tuple[int, str]]:
    return facts_by_month(home, "fct_grid_cases", "case_id")


@dataclass
class Story:
    after_january: dict = field(default_factory=dict)
    after_february: dict = field(default_factory=dict)
    after_correction: dict = field(default_factory=dict)
    february_rows_affected: dict = field(default_factory=dict)
    correction_rows_affected: dict = field(default_factory=dict)
    corrected_tickets: int = 0
    grid_february: int = 0
    grid_before_withdrawal: dict = field(default_factory=dict)
    grid_after_withdrawal: dict = field(default_factory=dict)
    withdrawn: dict = field(default_factory=dict)
    grid_before_failure: dict = field(default_factory=dict)
    grid_after_failure: dict = field(default_factory=dict)
    grid_streets_before_failure: list = field(default_factory=list)
    grid_streets_after_failure: list = field(default_factory=list)
    failure: str = ""
    february_nodes: set = field(default_factory=set)
    marts_after_partial_builds: dict = field(default_factory=dict)
    marts_after_full_refresh: dict = field(default_factory=dict)
    options_after_partial_builds: list = field(default_factory=list)
    fact_tables: dict = field(default_factory=dict)  # step -> the published large facts' table oids


@pytest.fixture(scope="module")
def story(home, tmp_path_factory) -> Story:
    scratch = tmp_path_factory.mktemp("marts")
    with connect(home) as conn:
        conn.execute(RESET)
        conn.execute("drop schema if exists intermediate, snapshots cascade")
    told = Story()

    ingest_all(month_files("2025-01", scratch), "2025-01")
    build()
    told.after_january = tickets_by_month(home)
    told.fact_tables["january"] = large_fact_tables(home)

    february = month_files("2025-02", scratch, FEBRUARY)
    ingest_all(february, "2025-02")
    build()
    told.after_february = tickets_by_month(home)
    told.grid_february = scalar(home, "select count(*) from marts.fct_grid_cases where month_start = '2025-02-01'")
    told.february_rows_affected = {
        name: r["adapter_response"].get("rows_affected") for name, r in run_results(home).items()
    }
    told.february_nodes = {r["unique_id"] for r in run_results(home).values()}
    told.fact_tables["february"] = large_fact_tables(home)

    # A corrected February hotline file: the same file without its last tickets (GBK CSV
    # or UTF-8, one ticket a line, so dropping lines drops tickets).
    original = february["hotline_cases"]
    assert original.suffix == ".csv", "the correction step drops lines of the CSV hotline sample"
    lines = original.read_bytes().splitlines(keepends=True)
    corrected = scratch / "corrected" / original.name
    corrected.parent.mkdir()
    corrected.write_bytes(b"".join(lines[:-CORRECTION_DROPS]))
    assert ingest(corrected, "hotline_cases", "2025-02").status == "loaded"
    build()
    told.after_correction = tickets_by_month(home)
    told.correction_rows_affected = {
        name: r["adapter_response"].get("rows_affected") for name, r in run_results(home).items()
    }
    told.corrected_tickets = told.after_correction["2025-02-01"][0]

    # D. March's grid cases arrive, and a test at error severity fails (a rehearsal).
    grid_streets = "select * from marts.fct_grid_street_monthly order by 1, 2, 3"
    told.grid_before_failure = grid_by_month(home)
    told.grid_streets_before_failure = query(home, grid_streets)
    ingest_all(month_files("2025-03", scratch, ("grid_cases",)), "2025-03")
    os.environ["CITYOPS_DBT_VARS"] = json.dumps({"cityops_fail_build": True})
    try:
        with pytest.raises(BuildNotPublished) as failed:
            build()
    finally:
        del os.environ["CITYOPS_DBT_VARS"]
    told.failure = str(failed.value)
    told.grid_after_failure = grid_by_month(home)
    told.grid_streets_after_failure = query(home, grid_streets)

    # E. February's grid cases withdrawn, no file sent instead: the incremental fact must drop them.
    told.grid_before_withdrawal = grid_by_month(home)
    withdrawn = cityops(
        "withdraw", "--dataset", "grid_cases", "--period", "2025-02", "--reason", "网格系统导出重复 duplicated export",
        "--by", "王敏", "--json",
    )  # fmt: skip
    assert withdrawn.returncode == 0, withdrawn.stdout + withdrawn.stderr
    told.withdrawn = json.loads(withdrawn.stdout)
    build()
    told.grid_after_withdrawal = grid_by_month(home)
    told.fact_tables["withdrawal"] = large_fact_tables(home)

    # F. What the partial builds left (only what the new batches feed, rebuilt or added to)
    # is what building everything from raw gives.
    told.marts_after_partial_builds = marts_contents(home)
    told.options_after_partial_builds = incremental_fact_options(home)  # before the full refresh makes them anew
    build(full_refresh=True)
    told.marts_after_full_refresh = marts_contents(home)
    told.fact_tables["full_refresh"] = large_fact_tables(home)
    return told


def large_fact_tables(home) -> dict[str, int]:
    """The published ticket and case facts' tables: the same table when a build merged into it."""
    rows = query(
        home,
        "select relname, oid::int from pg_class where relnamespace = 'marts'::regnamespace "
        "and relname in ('fct_hotline_tickets', 'fct_grid_cases')",
    )
    return dict(rows)


def marts_contents(home) -> dict[str, tuple[int, str]]:
    """Per published mart: its rows, and a digest of every row (sorted)."""
    names = [r[0] for r in query(home, "select table_name from information_schema.tables where table_schema = 'marts'")]
    contents = {}
    for name in names:
        rows, digest = query(
            home, f"select count(*), md5(string_agg(t::text, E'\\n' order by t::text)) from marts.\"{name}\" t"
        )[0]
        contents[name] = (rows, digest)
    return contents


def test_scorecard_lists_every_plan_indicator_every_month_with_a_status(story, home):
    indicators = {r[0] for r in query(home, "select indicator_code from reference.ref_indicators")}
    for month in ("2025-01-01", "2025-02-01"):
        rows = query(home, "select indicator_code, status from marts.kpi_scorecard where month_start = %s", month)
        assert {code for code, _ in rows} == indicators and len(rows) == len(indicators)
        assert {status for _, status in rows} <= STATUSES
    january = dict(
        query(home, "select indicator_code, status from marts.kpi_scorecard where month_start = '2025-01-01'")
    )
    # January has every dataset: every fact-sourced indicator has a value
    assert january["IND_WATER_WORSE_THAN_V_SECTIONS"] != "no_data"
    assert january["IND_ELEVATORS_COMPLETED_CUM"] != "no_data"
    february = dict(
        query(home, "select indicator_code, status from marts.kpi_scorecard where month_start = '2025-02-01'")
    )
    # February had no water report: the indicator is listed, with no_data
    assert february["IND_WATER_WORSE_THAN_V_SECTIONS"] == "no_data"
    assert february["IND_GARBAGE_RESOURCE_UTILISATION_PCT"] != "no_data"


def test_scorecard_figures_reconcile_with_raw_current_batches(story, home):
    current = "inner join audit.ingest_batches b on b.batch_id = r._batch_id and b.status = 'current'"
    expected_rate = scalar(
        home,
        "select round(sum(resource_utilization_pct * (residual_t + wet_t + recyclable_t + hazardous_t)) "
        f"/ sum(residual_t + wet_t + recyclable_t + hazardous_t), 2) from raw.garbage_sorting r {current} "
        "where r.period = '2025-02-01'",
    )
    worse_than_v = scalar(
        home, f"select count(*) filter (where water_class = '劣Ⅴ') from raw.water_quality r {current}"
    )
    reported = query(
        home,
        f"select r.indicator_code, r.value from raw.city_indicators r {current} "
        "where r.scope = '全区' and r.period = '2025-02-01'",
    )
    scorecard = {
        (code, month): value
        for code, month, value in query(
            home, "select indicator_code, month_start::text, value from marts.kpi_scorecard"
        )
    }
    assert scorecard[("IND_GARBAGE_RESOURCE_UTILISATION_PCT", "2025-02-01")] == expected_rate
    assert scorecard[("IND_WATER_WORSE_THAN_V_SECTIONS", "2025-01-01")] == worse_than_v
    catalog_sourced = {
        r[0]
        for r in query(home, "select indicator_code from marts.dim_indicator where source_model = 'city_indicators'")
    }
    checked = [(code, value) for code, value in reported if code in catalog_sourced]
    assert checked, "the February city_indicators sample has district-wide values"
    for code, value in checked:
        assert scorecard[(code, "2025-02-01")] == value, code


def test_hotline_rates_reconcile_with_raw(story, home):
    current = "inner join audit.ingest_batches b on b.batch_id = r._batch_id and b.status = 'current'"
    raw = query(
        home,
        "select b.period::text, count(*), "
        "round(100.0 * count(*) filter (where r.status = '已办结' and r.on_time = '是') "
        "/ count(*) filter (where r.status = '已办结'), 2) "
        f"from raw.hotline_cases r {current} where r.street = '华阳路街道' group by 1 order by 1",
    )
    mart = query(
        home,
        "select month_start::text, sum(tickets), round(100.0 * sum(closed_on_time) / sum(closed_tickets), 2) "
        "from marts.fct_hotline_street_monthly where street_code = '310105001000' group by 1 order by 1",
    )
    assert raw == mart and len(mart) == 2


def test_a_new_month_touches_only_that_months_rows(story):
    assert story.after_february["2025-01-01"] == story.after_january["2025-01-01"], "January's tickets changed"
    february_rows = story.after_february["2025-02-01"][0]
    assert story.february_rows_affected["fct_hotline_tickets"] == february_rows
    assert story.february_rows_affected["fct_grid_cases"] == story.grid_february > 0


def test_new_months_are_merged_into_the_published_large_facts_not_copied(story):
    """A build of new batches stages a large fact as a delta (its new months only) and merges
    it into the published table at the swap: the same table all along, so a build of a month
    costs the month, not the years before it. A full refresh builds them anew."""
    steps = story.fact_tables
    assert steps["january"] == steps["february"] == steps["withdrawal"], "a large fact was copied or rebuilt"
    assert len(steps["january"]) == 2
    assert set(steps["full_refresh"].values()).isdisjoint(steps["january"].values())


def test_a_corrected_month_replaces_that_months_rows_only(story, home):
    assert story.after_correction["2025-01-01"] == story.after_january["2025-01-01"]
    assert story.corrected_tickets == story.after_february["2025-02-01"][0] - CORRECTION_DROPS
    assert story.correction_rows_affected["fct_hotline_tickets"] == story.corrected_tickets
    assert "fct_grid_cases" not in story.correction_rows_affected, "a hotline correction does not rebuild grid"
    raw_current = scalar(
        home,
        "select count(*) from raw.hotline_cases r inner join audit.ingest_batches b "
        "on b.batch_id = r._batch_id and b.status = 'current' and b.period = '2025-02-01'",
    )
    assert raw_current == story.corrected_tickets


def test_a_failed_build_publishes_nothing_the_incremental_facts_included(story, home):
    assert "FAILED at test assert_build_not_rehearsing_a_failure" in story.failure
    assert "The marts were not replaced" in story.failure
    assert story.grid_after_failure == story.grid_before_failure, "March's grid cases reached BI"
    assert "2025-03-01" not in story.grid_after_failure
    assert story.grid_streets_after_failure == story.grid_streets_before_failure
    assert not query(home, "select 1 from pg_namespace where nspname = 'marts__next'")


def test_a_build_of_new_batches_tests_what_it_reads_without_rebuilding_the_views(story):
    ran = {uid.rsplit(".", 1)[0] if uid.startswith("test.") else uid for uid in story.february_nodes}
    tests = [
        "unique_stg_ingest_batches_batch_id",
        "unique_combination_stg_ingest_batches_dataset__month_start",
        "meets_contract_stg_hotline_cases",
        "unique_combination_stg_hotline_cases_month_start__ticket_id",
        "not_null_int_months_reported_month_start",
        "unique_across_batches_fct_hotline_tickets_ticket_id",
    ]
    assert [t for t in tests if not any(uid.startswith(f"test.cityops.{t}") for uid in ran)] == []
    assert {"model.cityops.fct_hotline_tickets", "model.cityops.kpi_scorecard"} <= ran
    views = {"model.cityops.stg_hotline_cases", "model.cityops.stg_ingest_batches", "model.cityops.int_months_reported"}
    assert views & ran == set(), "a view's SQL is the last good build's: not rebuilt"


def test_partial_builds_leave_the_marts_a_full_refresh_gives(story):
    partial, full = story.marts_after_partial_builds, story.marts_after_full_refresh
    assert partial["fct_hotline_tickets"][0] > 0 and partial["kpi_scorecard"][0] > 0
    assert sorted(partial) == sorted(full)
    assert {name: rows for name, rows in partial.items() if full[name] != rows} == {}


def test_revisions_show_first_reported_and_corrected(story, home):
    rows = query(
        home,
        "select revision_number, value, first_reported_value, current_value, is_current, batch_status "
        "from marts.fct_revisions where dataset = 'hotline_cases' and month_start = '2025-02-01' "
        "and figure_key = 'rows' order by revision_number",
    )
    first, corrected = rows
    assert first[0] == 1 and first[5] == "superseded" and not first[4]
    assert corrected[0] == 2 and corrected[4] and corrected[1] == first[1] - CORRECTION_DROPS
    assert first[2] == corrected[2] == first[1] and first[3] == corrected[3] == corrected[1]


def test_marts_carry_bilingual_comments(story, home):
    comment = scalar(home, "select obj_description('marts.kpi_scorecard'::regclass)")
    assert "One row per plan indicator" in comment and "记分卡" in comment
    undocumented = query(
        home,
        "select c.relname, a.attname from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'marts' "
        "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
        "where c.relkind in ('r', 'p', 'v') and col_description(c.oid, a.attnum) is null",
    )
    assert undocumented == []


@pytest.mark.parametrize(
    "relation",
    ["raw.hotline_cases", "audit.ingest_batches", "staging.stg_hotline_cases", "intermediate.int_months_reported"],
)
def test_reporting_role_is_refused_outside_marts(story, home, relation):
    with connect(home) as conn:
        conn.execute("set role cityops_reporting")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select 1 from {relation} limit 1")


def test_reporting_role_reads_every_mart(story, home):
    marts = [r[0] for r in query(home, "select table_name from information_schema.tables where table_schema = 'marts'")]
    assert "kpi_scorecard" in marts
    with connect(home) as conn:
        conn.execute("set role cityops_reporting")
        for table in marts:
            conn.execute(f'select 1 from marts."{table}" limit 1').fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table marts.scratch (x int)")


def test_docs_command_generates_the_site_under_cityops_home(story, home):
    from click.testing import CliRunner

    from cityops.cli.main import main

    result = CliRunner().invoke(main, ["docs", "--no-serve"])
    assert result.exit_code == 0, result.output
    catalog = json.loads((home.root / "docs" / "catalog.json").read_text())
    scorecard = catalog["nodes"]["model.cityops.kpi_scorecard"]
    assert "记分卡" in scorecard["metadata"]["comment"]
    assert (home.root / "docs" / "index.html").is_file()


def test_a_withdrawn_month_leaves_the_incremental_facts_and_shows_who_and_why(story, home):
    assert story.withdrawn["status"] == "withdrawn" and story.withdrawn["withdrawn_by"] == "王敏"
    assert story.grid_before_withdrawal["2025-02-01"][0] == story.grid_february > 0
    assert "2025-02-01" not in story.grid_after_withdrawal, "the withdrawn month's cases are gone"
    assert story.grid_after_withdrawal["2025-01-01"] == story.grid_before_withdrawal["2025-01-01"], "January untouched"
    assert scalar(home, "select count(*) from marts.fct_grid_street_monthly where month_start = '2025-02-01'") == 0
    batch = story.withdrawn["batch_id"]
    assert scalar(home, "select count(*) from raw.grid_cases where _batch_id = %s", batch) > 0, "raw keeps the rows"
    audit = query(
        home, "select status, withdrawn_by, withdrawn_reason from audit.ingest_batches where batch_id = %s", batch
    )
    assert audit == [("withdrawn", "王敏", "网格系统导出重复 duplicated export")]
    shown = query(
        home,
        "select dataset, month_start::text, withdrawn_by, withdrawn_reason, is_replaced, row_count "
        "from marts.fct_batch_withdrawals where batch_id = %s",
        batch,
    )
    assert shown == [
        ("grid_cases", "2025-02-01", "王敏", "网格系统导出重复 duplicated export", False, story.grid_february)
    ]


def test_withdrawing_a_month_without_a_current_batch_is_a_usage_error(story, home):
    done = cityops("withdraw", "--dataset", "grid_cases", "--period", "2025-02", "--reason", "again", "--by", "x")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no current batch" in done.stderr and len(done.stderr.strip().splitlines()) == 1


RECONCILED = (
    "fct_garbage_sorting_monthly",
    "fct_hotline_tickets",
    "fct_grid_cases",
    "fct_illegal_construction",
    "fct_housing_renovation",
    "fct_elevator_retrofit",
    "fct_overhead_lines",
    "fct_overhead_lines_monthly",
    "fct_water_quality",
    "fct_river_patrols_monthly",
    "fct_beautiful_blocks",
)


def test_every_fact_reconciles_with_raw_and_a_drift_in_any_fails_it(story, home):
    """The story's builds ran every reconciliation before each swap (and passed); one extra row
    in any fact (a fan-out join, a stale batch) fails that fact's reconciliation."""
    from cityops.transform.dbt import invoke

    added = []
    with connect(home) as conn:
        for fact in RECONCILED:
            which = "where month_start = list_month_start" if fact == "fct_beautiful_blocks" else ""
            row = conn.execute(f"insert into marts.{fact} select * from marts.{fact} {which} limit 1 returning ctid")
            added.append((fact, row.fetchone()[0]))
    try:
        checked = invoke(home, "test", "--select", "tag:reconciliation")
    finally:
        with connect(home) as conn:
            for fact, ctid in added:
                conn.execute(f"delete from marts.{fact} where ctid = %s::tid", (str(ctid),))
    failed = {r.node.attached_node.split(".")[-1] for r in checked.result if str(r.status) == "fail"}
    assert failed == set(RECONCILED)


def incremental_fact_options(home) -> list:
    return query(
        home,
        "select c.relname, c.reloptions from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'marts' and c.relname in ('fct_hotline_tickets', 'fct_grid_cases')",
    )


def test_published_incremental_facts_are_autovacuumed_again(story):
    """Their copies were staged with autovacuum off (a VACUUM of the copy deadlocked with dbt's COMMENT ON)."""
    assert sorted(story.options_after_partial_builds) == [("fct_grid_cases", None), ("fct_hotline_tickets", None)]
