"""The dbt project's layers run forwards, and every model says its grain and is tested.

Read from the parsed project (real `dbt parse`, no warehouse): sources are read in
staging only, intermediate models read staging and intermediate models only, no model
joins more than six others, and each model has a description that opens with its grain
and at least one data test.
"""

from __future__ import annotations

import pytest

from tests.fixtures.commands import ROOT

PROJECT = ROOT / "dbt_project"
MOST_PARENTS = 6  # dbt-project-evaluator flags a model with 7 or more


@pytest.fixture(scope="module")
def manifest(tmp_path_factory, monkeypatch_module):
    from dbt.cli.main import dbtRunner

    monkeypatch_module.setenv("CITYOPS_DB_HOST", "localhost")  # parsing reads the profile, never connects
    scratch = tmp_path_factory.mktemp("parse")
    args = ["parse", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT), "--quiet"]
    parsed = dbtRunner().invoke([*args, "--target-path", str(scratch), "--log-path", str(scratch)])
    assert parsed.success, parsed.exception
    return parsed.result


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _layer(manifest, unique_id: str) -> str:
    if unique_id.startswith(("source.", "seed.")):
        return unique_id.split(".")[0]
    return manifest.nodes[unique_id].original_file_path.split("/")[1]  # models/<layer>/...


def _models(manifest):
    return {uid: node for uid, node in manifest.nodes.items() if node.resource_type == "model"}


def test_sources_are_read_in_staging_only_and_the_layers_run_forwards(manifest):
    allowed = {
        "staging": {"source", "seed"},
        "intermediate": {"staging", "intermediate", "seed"},
        "marts": {"staging", "intermediate", "marts", "seed"},
    }
    backwards = [
        f"{node.name} ({_layer(manifest, uid)}) reads {parent.split('.')[-1]} ({_layer(manifest, parent)})"
        for uid, node in _models(manifest).items()
        for parent in node.depends_on.nodes
        if _layer(manifest, parent) not in allowed[_layer(manifest, uid)]
    ]
    assert backwards == []


def test_no_model_joins_more_than_six_others(manifest):
    parents = {n.name: len(n.depends_on.nodes) for n in _models(manifest).values()}
    assert {name: n for name, n in parents.items() if n > MOST_PARENTS} == {}


def test_every_model_opens_with_its_grain_and_has_a_test(manifest):
    tests = [node for node in manifest.nodes.values() if node.resource_type == "test"]
    # a generic test belongs to the model it is written on, not to the one a relationship points at
    attached = {t.unique_id: getattr(t, "attached_node", None) for t in tests}
    tested = {node for node in attached.values() if node} | {
        parent for t in tests if not attached[t.unique_id] for parent in t.depends_on.nodes
    }
    models = _models(manifest)
    assert [n.name for n in models.values() if not n.description.startswith("One row per")] == []
    assert [n.name for uid, n in models.items() if uid not in tested] == []


def test_every_fact_that_reads_a_raw_dataset_reconciles_with_raw(manifest):
    """A fact over a dataset's staging model carries or sums raw columns: it reconciles, blocking publish.

    Aggregates that filter (year to date, found this month) are built on a reconciled
    row-level fact; the plain monthly sums (overhead lines, river patrols, garbage, the
    blocks' list) reconcile themselves too.
    """
    from cityops.contracts import dataset_ids

    staged = {f"stg_{dataset}" for dataset in dataset_ids()}
    reconciling = [
        node
        for node in manifest.nodes.values()
        if node.resource_type == "test"
        and getattr(node, "test_metadata", None)
        and node.test_metadata.name == "reconciles_with_raw"
    ]
    assert all(t.config.severity.lower() == "error" for t in reconciling), "a reconciliation must block publishing"
    reconciled = {t.attached_node for t in reconciling}
    reading_raw = [
        n.name
        for uid, n in _models(manifest).items()
        if n.name.startswith("fct_") and any(p.split(".")[-1] in staged for p in n.depends_on.nodes)
    ]
    assert reading_raw, "no fact reads a staging model: the check would prove nothing"
    assert [name for name in reading_raw if f"model.cityops.{name}" not in reconciled] == []


def test_every_reader_of_the_audit_trail_says_when_a_build_of_new_batches_rebuilds_it(manifest):
    """A build of new batches selects stg_ingest_batches' readers by these tags (transform/freshness.py,
    audit_trail_readers): an untagged reader would keep a stale audit trail."""
    from cityops.transform.freshness import AUDIT_READER_TAGS

    readers = {
        node.name: set(node.tags) & set(AUDIT_READER_TAGS)
        for node in manifest.nodes.values()
        if node.resource_type == "model" and "model.cityops.stg_ingest_batches" in node.depends_on.nodes
    }
    assert readers, "stg_ingest_batches has readers"
    assert {name: tags for name, tags in readers.items() if len(tags) != 1} == {}
