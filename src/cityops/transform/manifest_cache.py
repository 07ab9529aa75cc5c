"""dbt's parsed project, kept between builds as a pickle under CITYOPS_HOME/dbt/parsed.

dbt's partial parse still reads its state and checks every file of the project: about
0.9 s of every build here. A build already knows the project's digest (it decides what
changed, transform/freshness.py); with it and whatever else shapes a parse (the versions of
Python and dbt, the vars, the connection dbt is told about), the manifest dbt parsed last
time loads in about 20 ms. Any of them different: a new key, dbt parses, the result is kept.
Only the manifest's fields are kept, not its lookups: dbt's own `Manifest.__reduce_ex__`
passes its fields by position and misses two of 1.11's, so a manifest it pickles comes back
with its lookups shifted into the wrong fields. dbt rebuilds the lookups when first asked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from cityops.settings import Home, dbt_project_dir

log = logging.getLogger("cityops.build")
KEPT = 2  # the WAP build's and a developer's `--select` build's vars differ: keep both


def key(project_digest: str, variables: dict[str, Any], connection: dict[str, str]) -> str:
    """Everything a parse depends on that the project's files do not say."""
    shaped_by = {
        "project": project_digest,
        "where": str(dbt_project_dir()),  # nodes carry the project's path
        "python": sys.version,
        "dbt": [importlib.metadata.version(p) for p in ("dbt-core", "dbt-postgres", "dbt-adapters")],
        "vars": variables,
        # the database and user land in every node; a password never shapes a parse
        "connection": {k: v for k, v in connection.items() if "PASSWORD" not in k},
    }
    return hashlib.sha256(json.dumps(shaped_by, sort_keys=True).encode()).hexdigest()[:24]


def _folder(home: Home) -> Path:
    return home.root / "dbt" / "parsed"


def load(home: Home, key: str):
    """The manifest kept under this key, or None (never kept, or unreadable: parse again)."""
    path = _folder(home) / f"{key}.pickle"
    try:
        fields = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file is a cache miss, not a failed build
        log.warning("the kept dbt manifest %s is unreadable (%s): dbt parses again", path, exc)
        return None
    from dbt.contracts.graph.manifest import Manifest

    return Manifest(**fields)


def newest(home: Home):
    """The manifest kept last (whatever its key), or None."""
    kept = sorted(_folder(home).glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    return load(home, kept[0].stem) if kept else None


def compile_macros(manifest) -> int:
    """Compile the manifest's macros into dbt's template cache (keyed by each macro's text,
    so a changed macro is a miss, compiled when used): what a forked build then skips."""
    from dbt_common.clients.jinja import template_cache

    compiled = 0
    for macro in manifest.macros.values():
        try:
            template_cache.get_node_template(macro)
            compiled += 1
        except Exception as exc:  # a macro that does not compile fails its build, not the server
            log.debug("macro %s not compiled ahead: %s", macro.unique_id, exc)
    return compiled


def _public_fields(manifest) -> dict[str, Any]:
    """What dbt parsed; the `_` fields are lookups and a lock, rebuilt or made anew."""
    return {f.name: getattr(manifest, f.name) for f in dataclasses.fields(manifest) if not f.name.startswith("_")}


def keep(home: Home, key: str, manifest) -> None:
    """Write it whole or not at all; forget all but the most recent kept manifests."""
    folder = _folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.pickle"
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(pickle.dumps(_public_fields(manifest), protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)
    kept = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEPT:]:
        old.unlink(missing_ok=True)
