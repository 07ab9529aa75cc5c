"""What a build must do, decided from the state of things BEFORE dbt starts.

The marts are built from the dbt project's files and the published batches. Before every
build (under the build lock) their state is read: a digest of the project, and per dataset
the count and last decision time of its published batches. A good build writes THAT state,
the one read before dbt started, with the relations it left into `audit.mart_builds`, in
the transaction that publishes the marts: so a batch published while dbt ran differs from
it and the next run builds again, and the record is the warehouse's, committed with the
marts it describes, whichever machine (CITYOPS_HOME: an Airflow worker) ran the build.

The next build then selects only what changed since (see `plan`):
- the datasets whose batches changed: `source:raw.<dataset>+`, and what reads the audit trail
  that a change of their batches can change (`audit_trail_readers`: the revisions' row counts
  always, the scorecard's "months reported" when those months changed, the withdrawals when
  the datasets have one);
- a changed project: `state:modified+`, against the manifest of the last good build, kept
  under CITYOPS_HOME/dbt/state with the project digest it was parsed from (a manifest
  there that is not the last good build's, e.g. another worker built since: everything);
- always the build gate (`tag:build_gate`): a rehearsed failure fails any build;
- the data tests of what is built; dbt's unit tests (fixed inputs: they check the SQL, not
  the data) only when the project changed. When only batches changed, the tests that read
  a row at a time check the new batches' rows only (`tested`: the batches current when the
  last good build started, which passed them; macros/new_batches.sql).
Everything is built when there is no record of a good build, when a relation it left has
gone (a warehouse restored or emptied), or when asked (`--full-refresh`). Nothing changed:
no dbt at all.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.types.json import Jsonb

from cityops.load.warehouse import relation_exists
from cityops.settings import Home, dbt_project_dir

log = logging.getLogger("cityops.build")
SKIPPED_BUILD = "dbt build: skipped, the marts are up to date (nothing loaded or changed since)"
# The schemas whose relations dbt builds and a later partial build relies on.
BUILT_SCHEMAS = ("staging", "intermediate", "marts", "reference", "snapshots")
GATE = "tag:build_gate"
# Left out of a build of new batches alone (the project is the last good build's): see Plan.dbt_flags.
NOT_REBUILT = ("config.materialized:view", "resource_type:exposure")
# What each reader of the audit trail (stg_ingest_batches) says about when it changes: see audit_trail_readers.
AUDIT_READER_TAGS = ("audit_every_batch", "audit_reported_months", "audit_withdrawals", "audit_own_datasets")


@dataclass
class BuildState:
    project: str
    batches: dict[str, str]
    relations: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)  # the batch ids that stood


@dataclass
class Plan:
    """What one build does: `select` None builds everything; `skip` builds nothing."""

    state: BuildState
    reason: str
    select: list[str] | None = None
    skip: bool = False
    state_dir: Path | None = None  # the last good build's manifest, if kept here: state:modified, deltas
    # dbt's unit tests check the SQL, not the data: a build of new batches alone skips them.
    skip_unit_tests: bool = False
    # The batches whose rows passed this project's data tests; empty: test every row.
    tested: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)  # those with new or corrected batches

    @property
    def same_project(self) -> bool:
        """Only batches changed: the last good build's manifest is this project's (unit tests skipped)."""
        return self.skip_unit_tests

    @property
    def manifest_kept(self) -> bool:
        """This project's manifest is kept here already: the build need not write it again."""
        return self.same_project and self.state_dir is not None

    def dbt_flags(self) -> list[str]:
        """What dbt is told besides the selection.

        `--state` only for a selection that compares with it (`state:modified`): dbt reads
        that manifest whole (~0.3 s) whenever it is given. When only batches changed, the
        views are not rebuilt (their SQL is the last good build's, and a view reads its
        tables as they are now) but their data tests run, and the exposures (no-ops in a
        build) are left out: `--indirect-selection empty` keeps an excluded view's tests. So
        no test is selected for being a selected node's: every selector here reaches its
        tests as descendants (`+`) or names them.
        """
        if not self.select:
            return []
        if not self.same_project:
            compares = self.state_dir and any(s.startswith("state:") for s in self.select)
            return ["--state", str(self.state_dir)] if compares else []
        return ["--exclude", *NOT_REBUILT, "--indirect-selection", "empty"]


def project_digest() -> str:
    digest = hashlib.sha256()
    project = dbt_project_dir()
    files = (p for p in project.rglob("*") if p.is_file() and p.relative_to(project).parts[0] not in {"target", "logs"})
    for path in sorted(files):
        digest.update(str(path.relative_to(project)).encode() + path.read_bytes())
    return digest.hexdigest()


def published_batches(conn) -> dict[str, str]:
    """Per dataset: how many batches reached raw and when the last decision about them was made."""
    if not relation_exists(conn, "audit.ingest_batches"):
        return {}
    rows = conn.execute(
        "select dataset, count(*), max(decided_at) from audit.ingest_batches "
        "where status in ('current', 'superseded', 'withdrawn') group by dataset"
    ).fetchall()
    return {dataset: f"{count}|{last.isoformat() if last else ''}" for dataset, count, last in rows}


def current_batches(conn) -> list[str]:
    if not relation_exists(conn, "audit.ingest_batches"):
        return []
    rows = conn.execute("select batch_id::text from audit.ingest_batches where status = 'current' order by 1")
    return [r[0] for r in rows]


def built_relations(conn) -> list[str]:
    rows = conn.execute(
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm') order by 1",
        (list(BUILT_SCHEMAS),),
    ).fetchall()
    return [r[0] for r in rows]


def current_state(conn) -> BuildState:
    """The state the marts would be built from, read now (before dbt starts)."""
    return BuildState(project=project_digest(), batches=published_batches(conn), current=current_batches(conn))


def state_dir(home: Home) -> Path:
    return home.root / "dbt" / "state"


def kept_manifest(home: Home, project: str) -> Path | None:
    """The folder of the manifest dbt parsed from `project` when this machine last built it, if kept."""
    folder = state_dir(home)
    try:
        kept = (folder / "project").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return folder if kept == project and (folder / "manifest.json").is_file() else None


_LAST_GOOD_BUILD = (
    "select project, batches, relations, current_batches::text[] from audit.mart_builds "
    "where not forgotten order by build_id desc limit 1"
)


def last_good_build(conn) -> BuildState | None:
    """What the marts in the warehouse were built from: the last build that published them."""
    if not relation_exists(conn, "audit.mart_builds"):
        return None
    row = conn.execute(_LAST_GOOD_BUILD).fetchone()
    if row is None:
        return None
    project, batches, relations, current = row
    return BuildState(project=project, batches=dict(batches), relations=list(relations), current=list(current))


def record_good_build(
    home: Home, before: BuildState, conn, *, reason: str, published: list[str], manifest: bool
) -> None:
    """After a good build, in the transaction that publishes its marts: the state read before
    dbt started and the relations it left. `manifest`: dbt wrote this project's manifest,
    kept (with the project's digest) for the next build's `state:modified`."""
    written = home.dbt_target / "manifest.json"
    if manifest and written.is_file():
        folder = state_dir(home)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "project").unlink(missing_ok=True)  # a manifest without its digest is never used
        shutil.copyfile(written, folder / "manifest.json")
        (folder / "project").write_text(before.project, encoding="utf-8")
    conn.execute(
        "insert into audit.mart_builds (reason, project, batches, current_batches, relations, published) "
        "values (%s, %s, %s, %s::uuid[], %s, %s)",
        (reason, before.project, Jsonb(before.batches), before.current, built_relations(conn), published),
    )


def forget_good_build(home: Home) -> None:
    """The next build builds everything (a restore, or marts dropped by hand); the record stays."""
    from cityops.load.warehouse import connect

    with connect(home) as conn:
        if relation_exists(conn, "audit.mart_builds"):
            conn.execute("update audit.mart_builds set forgotten = true where not forgotten")


def reported_months(conn, batches: list[str] | None = None) -> list[str]:
    """The months with a current batch of any dataset: now, or when these batches stood."""
    if batches is None:
        where, args = "status = 'current'", ()
    else:
        where, args = "batch_id = any(%s::uuid[])", (batches,)
    rows = conn.execute(f"select distinct period::text from audit.ingest_batches where {where} order by 1", args)
    return [r[0] for r in rows]


def audit_trail_readers(conn, changed: list[str], last: BuildState) -> list[str]:
    """What reads the audit trail (stg_ingest_batches) and a change of these datasets' batches can change.

    stg_ingest_batches itself (its tests), and its readers by the tag each carries (a test in
    tests/transform/test_dbt_layers.py keeps every reader tagged):
    - `audit_every_batch`: a figure per batch of every dataset (the revisions' row counts);
    - `audit_reported_months`: the months with a current batch (the scorecard's months, the
      beautiful blocks' list carried to every month): only when that set of months changed;
    - `audit_withdrawals`: withdrawn batches and what replaced them: only when a changed
      dataset has a withdrawn batch (a withdrawal, or a file sent for a withdrawn month);
    - `audit_own_datasets`: the batches of the datasets it is built from: selected with
      them (`source:raw.<dataset>+`), nothing to add.
    """
    # its tests named too: a build of new batches alone selects no test indirectly (Plan.dbt_flags)
    readers = ["stg_ingest_batches", "stg_ingest_batches+1,resource_type:test", "tag:audit_every_batch+"]
    if not last.current or reported_months(conn) != reported_months(conn, last.current):
        readers.append("tag:audit_reported_months+")
    withdrawn = conn.execute(
        "select exists (select from audit.ingest_batches where status = 'withdrawn' and dataset = any(%s))",
        (changed,),
    ).fetchone()[0]
    if withdrawn:
        readers.append("tag:audit_withdrawals+")
    return readers


def plan(home: Home, conn, *, full_refresh: bool = False) -> Plan:
    """What to build, from the state now and the last good build's. Call it under the build lock."""
    now = current_state(conn)
    last = last_good_build(conn)
    if full_refresh:
        return Plan(now, "a full refresh was asked for")
    if last is None:
        return Plan(now, "no good build is recorded in the warehouse: everything")
    gone = sorted(set(last.relations) - set(built_relations(conn)))
    if gone:
        return Plan(now, f"{len(gone)} relation(s) of the last build are gone (e.g. {gone[0]}): everything")
    changed = sorted(d for d in set(now.batches) | set(last.batches) if now.batches.get(d) != last.batches.get(d))
    select: list[str] = []
    reasons: list[str] = []
    if changed:
        select += [f"source:raw.{dataset}+" for dataset in changed] + audit_trail_readers(conn, changed, last)
        reasons.append(f"new or corrected batches of {', '.join(changed)}")
    manifest_dir = kept_manifest(home, last.project)
    if now.project != last.project:
        if manifest_dir is None:
            return Plan(now, "the dbt project changed and the last good build's manifest is not here: everything")
        select.append("state:modified+")
        reasons.append("the dbt project changed")
    if not select:
        return Plan(now, "nothing loaded or changed since the last good build", skip=True)
    code_changed = now.project != last.project
    return Plan(
        now,
        "; ".join(reasons),
        select=[*select, GATE],
        state_dir=manifest_dir,
        skip_unit_tests=not code_changed,
        tested=[] if code_changed else last.current,
        datasets=changed,
    )


def marts_up_to_date(home: Home | None = None) -> bool:
    """True when a build now would build nothing (read-only: takes no lock)."""
    from cityops.load.warehouse import connect

    home = home or Home.from_env()
    with connect(home) as conn:
        return plan(home, conn).skip
