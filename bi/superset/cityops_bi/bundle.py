"""The asset folder in git <-> the bundle Superset imports and exports.

The folder holds Superset's own v1 export format, one YAML file per object, with what
differs between installations taken out so that an export after editing in the UI shows
only the edit in `git diff`:
- ids: a chart's dataset and dashboards, a dashboard's chart ids (renumbered 1..n in the
  order of the layout), everything the import recomputes from UUIDs;
- a chart's query_context is kept as YAML rather than a JSON string, so it can be read;
- a database's address and password: the committed URI has a masked password and the
  compose stack's host; the import puts in the address and password of where it runs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

KINDS = ("databases", "datasets", "charts", "dashboards", "queries")
MASK = "XXXXXXXXXX"  # Superset's own placeholder for a password it will not show
_CHART_IDS_IN_PARAMS = ("datasource", "slice_id", "dashboards")
# derived by the dashboard page from label_colors and the scheme, and written back on every open
_DERIVED_COLOURS = ("map_label_colors", "shared_label_colors", "color_scheme_domain")


def dump(doc: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(doc), allow_unicode=True, sort_keys=True, width=100, default_flow_style=False)


def read_folder(folder: Path) -> dict[str, dict[str, Any]]:
    """Relative path (`charts/x.yaml`) -> document, for every asset in the folder."""
    assets = {}
    for kind in KINDS:
        for path in sorted((folder / kind).rglob("*.yaml")):
            assets[path.relative_to(folder).as_posix()] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return assets


def write_folder(folder: Path, assets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Replace the folder's assets with these; the paths that changed, were added or removed."""
    before = read_folder(folder) if folder.exists() else {}
    changed = []
    for rel, doc in assets.items():
        path = folder / rel
        text = dump(doc)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(rel)
    for rel in sorted(set(before) - set(assets)):  # deleted in the UI: deleted here
        (folder / rel).unlink()
        changed.append(rel)
    return sorted(changed)


def masked_uri(url: str, user: str | None = None) -> str:
    """The URL with Superset's password placeholder (and the given user) in it."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    name = user or parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{name}:{MASK}@{host}"))


def import_contents(assets: Mapping[str, Mapping[str, Any]], warehouse_url: str | None) -> dict[str, str]:
    """The files Superset's ImportAssetsCommand takes, from the folder's documents."""
    metadata = {"version": "1.0.0", "type": "assets", "timestamp": datetime.now(tz=UTC).isoformat()}
    contents = {"metadata.yaml": dump(metadata)}
    for rel, original in assets.items():
        doc = copy.deepcopy(dict(original))
        if rel.startswith("charts/") and isinstance(doc.get("query_context"), dict):
            doc["query_context"] = json.dumps(doc["query_context"], ensure_ascii=False)
        if rel.startswith("databases/") and warehouse_url:
            doc["sqlalchemy_uri"] = masked_uri(warehouse_url, urlsplit(doc["sqlalchemy_uri"]).username)
        contents[rel] = dump(doc)
    return contents


def database_files(assets: Mapping[str, Any]) -> list[str]:
    return [rel for rel in assets if rel.startswith("databases/")]


# --- export: what Superset wrote -> what the folder keeps --------------------------------


def from_export(files: Mapping[str, str], current: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Normalise an export; an object keeps the file name it has in the folder (by UUID)."""
    path_of = {str(doc.get("uuid")): rel for rel, doc in current.items()}
    assets = {}
    for name, text in files.items():
        kind = name.split("/", 1)[0]
        if kind not in KINDS:
            continue  # metadata.yaml: written afresh at every import
        doc = yaml.safe_load(text)
        uuid = str(doc["uuid"])
        if kind == "charts":
            doc = _chart(doc)
        elif kind == "dashboards":
            doc = _dashboard(doc)
        elif kind == "databases":
            doc = _database(doc, current.get(path_of.get(uuid, ""), {}))
        assets[path_of.get(uuid) or f"{kind}/{kind.rstrip('s')}-{uuid[:8]}.yaml"] = doc
    return dict(sorted(assets.items()))


def _chart(doc: dict[str, Any]) -> dict[str, Any]:
    for key in _CHART_IDS_IN_PARAMS:
        doc["params"].pop(key, None)
    context = doc.get("query_context")
    if isinstance(context, str):
        context = json.loads(context)
    if isinstance(context, dict):
        context.pop("datasource", None)
        for query in context.get("queries", []):
            query.pop("datasource", None)
        for key in _CHART_IDS_IN_PARAMS:
            context.get("form_data", {}).pop(key, None)
    doc["query_context"] = context
    return doc


def _database(doc: dict[str, Any], committed: Mapping[str, Any]) -> dict[str, Any]:
    doc.pop("password", None)
    if committed.get("sqlalchemy_uri"):  # the committed address, not this machine's socket
        doc["sqlalchemy_uri"] = committed["sqlalchemy_uri"]
    else:
        doc["sqlalchemy_uri"] = masked_uri(doc["sqlalchemy_uri"])
    return doc


def _dashboard(doc: dict[str, Any]) -> dict[str, Any]:
    """Chart ids renumbered 1..n in layout order; lists the UI derives from scopes dropped."""
    position = doc.get("position") or {}
    charts = [position[key] for key in _layout_order(position) if position[key].get("type") == "CHART"]
    renumber = {}
    for chart in charts:
        old = chart["meta"].get("chartId")
        renumber.setdefault(old, len(renumber) + 1)
        chart["meta"]["chartId"] = renumber[old]
    metadata = doc.get("metadata") or {}
    for key in _DERIVED_COLOURS:
        metadata.pop(key, None)
    for native_filter in metadata.get("native_filter_configuration", []):
        _rescope(native_filter, renumber)
    _rescope(metadata.get("global_chart_configuration") or {}, renumber)
    configuration = {}
    for key, config in (metadata.get("chart_configuration") or {}).items():
        if int(key) in renumber:
            config["id"] = renumber[int(key)]
            _rescope(config.get("crossFilters") or {}, renumber)
            configuration[str(renumber[int(key)])] = config
    if "chart_configuration" in metadata:
        metadata["chart_configuration"] = dict(sorted(configuration.items(), key=lambda kv: int(kv[0])))
    for key in ("expanded_slices", "filter_scopes"):
        if metadata.get(key):
            metadata[key] = {str(renumber[int(k)]): v for k, v in metadata[key].items() if int(k) in renumber}
    if metadata.get("timed_refresh_immune_slices"):
        metadata["timed_refresh_immune_slices"] = _ids(metadata["timed_refresh_immune_slices"], renumber)
    return doc


def _rescope(holder: dict[str, Any], renumber: Mapping[int, int]) -> None:
    holder.pop("chartsInScope", None)
    holder.pop("tabsInScope", None)
    scope = holder.get("scope")
    if isinstance(scope, dict) and scope.get("excluded"):
        scope["excluded"] = _ids(scope["excluded"], renumber)


def _ids(ids: Iterable[int], renumber: Mapping[int, int]) -> list[int]:
    return sorted(renumber[i] for i in ids if i in renumber)


def _layout_order(position: Mapping[str, Any]) -> list[str]:
    """Component keys depth-first from the root, as a reader scans the dashboard."""
    seen: list[str] = []
    stack = ["ROOT_ID"]
    while stack:
        key = stack.pop()
        if key in seen or key not in position or not isinstance(position[key], dict):
            continue
        seen.append(key)
        stack.extend(reversed(position[key].get("children", [])))
    return seen + sorted(k for k in position if k not in seen and isinstance(position[k], dict))
