"""dbt's parsed project is kept between builds (transform/manifest_cache.py), never trusted blindly."""

from __future__ import annotations

from cityops.ingest import ingest
from cityops.transform import freshness, manifest_cache
from cityops.transform.dbt import build, parsed_project_key, side_schema_variables
from tests.fixtures.garbage import garbage_rows, table, write

CONNECTION = {"CITYOPS_DB_NAME": "cityops", "CITYOPS_DB_USER": "postgres", "CITYOPS_DB_PASSWORD": "x"}


def test_the_key_changes_with_whatever_shapes_a_parse_and_only_that():
    base = manifest_cache.key("project-a", {"v": 1}, CONNECTION)
    assert base == manifest_cache.key("project-a", {"v": 1}, {**CONNECTION, "CITYOPS_DB_PASSWORD": "rotated"})
    assert base != manifest_cache.key("project-b", {"v": 1}, CONNECTION)
    assert base != manifest_cache.key("project-a", {"v": 2}, CONNECTION)
    assert base != manifest_cache.key("project-a", {"v": 1}, {**CONNECTION, "CITYOPS_DB_NAME": "other"})


def _kept(home):
    """The file of the parse a build uses (another test's build with other vars may keep one too)."""
    key = parsed_project_key(home, freshness.project_digest(), side_schema_variables())
    return home.root / "dbt" / "parsed" / f"{key}.pickle"


def test_a_build_keeps_the_parse_and_the_next_one_uses_it(wh, tmp_path):
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    assert build().success
    kept = _kept(wh)
    written = kept.stat().st_mtime_ns

    ingest(write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.1))), "garbage_sorting", "2025-03")
    again = build()
    assert again.success and again.mart_rows["fct_garbage_sorting_monthly"] == 10
    assert _kept(wh) == kept and kept.stat().st_mtime_ns == written  # loaded, not parsed again

    manifest = manifest_cache.load(wh, kept.stem)
    assert "model.cityops.fct_garbage_sorting_monthly" in manifest.nodes
    assert manifest.ref_lookup is not None  # the lookups dbt's own pickling shifts are rebuilt


def test_an_unreadable_kept_parse_is_parsed_again_not_a_failed_build(wh, tmp_path):
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    assert build().success
    kept = _kept(wh)
    kept.write_bytes(b"not a pickle")

    ingest(write(tmp_path / "b.xlsx", table(garbage_rows(scale=1.2))), "garbage_sorting", "2025-03")
    assert build().success
    assert manifest_cache.load(wh, kept.stem) is not None  # parsed and written again, whole
