"""The dbt manifest the Airflow DAGs are rendered from, produced by `dbt parse` at build time.

Cosmos reads this file when a DAG file is parsed, so the scheduler never runs `dbt ls`.
It is a build artefact of the dbt project (like a compiled file): `cityops build
--manifest-only` writes it, `cityops run --airflow` refreshes it when the project changed,
and the Docker image writes it while it is built.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from cityops.errors import ManifestFailed
from cityops.settings import dbt_project_dir

log = logging.getLogger("cityops.manifest")
# Parsing reads the profile but never connects: a placeholder host lets it run anywhere.
_PARSE_ENV = {"CITYOPS_DB_HOST": "localhost", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def manifest_path() -> Path:
    return Path(os.environ.get("CITYOPS_DBT_MANIFEST") or dbt_project_dir() / "target" / "manifest.json")


def project_files() -> list[Path]:
    project = dbt_project_dir()
    return [p for p in project.rglob("*") if p.is_file() and p.relative_to(project).parts[0] not in {"target", "logs"}]


def manifest_is_current() -> bool:
    """True when the manifest exists and is newer than every file of the dbt project."""
    path = manifest_path()
    if not path.is_file():
        return False
    built = path.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in project_files())


def write_manifest() -> Path:
    """`dbt parse` into a scratch folder, then move the manifest into place in one rename."""
    from dbt.cli.main import dbtRunner

    path = manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    for key, value in _PARSE_ENV.items():
        os.environ.setdefault(key, value)
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=path.parent))
    try:
        project = str(dbt_project_dir())
        args = ["parse", "--project-dir", project, "--profiles-dir", project, "--quiet"]
        outcome = dbtRunner().invoke([*args, "--target-path", str(scratch), "--log-path", str(scratch)])
        if not outcome.success:
            raise ManifestFailed(f"`dbt parse` failed: {outcome.exception}; see {scratch / 'dbt.log'}")
        (scratch / "manifest.json").replace(path)
    finally:
        if path.is_file():
            shutil.rmtree(scratch, ignore_errors=True)
    log.info("dbt manifest written to %s", path)
    return path


def ensure_manifest() -> Path:
    """The manifest, re-parsed only when the dbt project changed since it was written."""
    return manifest_path() if manifest_is_current() else write_manifest()
