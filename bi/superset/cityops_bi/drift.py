"""Do the dashboards still match the marts? Every column a chart uses, checked against dbt.

The dbt models' YAML (dbt_project/models/marts/**/_*.yml, contracts enforced, so they
list exactly the columns built) gives the schema. Each dataset's SQL (its table, or its
virtual query) is resolved against it with sqlglot, then its calculated columns and
metrics, then every column and metric each chart names. A column renamed in dbt shows up
as the charts that break, by name and dashboard, before anyone opens them.

dbt exposures (dbt_project/models/exposures.yml) list the dashboards: each dashboard must
have one, and it must depend on every mart the dashboard reads.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.qualify import qualify

from cityops_bi import bundle

SCHEMA = "marts"


def dbt_marts(dbt_project: Path) -> dict[str, dict[str, str]]:
    """model -> {column: type} for every model documented under models/marts."""
    models: dict[str, dict[str, str]] = {}
    for path in sorted((dbt_project / "models" / "marts").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            columns = {c["name"]: c.get("data_type") or "text" for c in model.get("columns", [])}
            if columns:  # an ephemeral step documents no columns: nothing in Superset can read it
                models[model["name"]] = columns
    return models


def _source_sql(dataset: Mapping[str, Any]) -> str:
    return dataset.get("sql") or f'select * from "{dataset.get("schema") or SCHEMA}"."{dataset["table_name"]}"'


def _resolve(sql: str, marts: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The output columns of a query over the marts; raises on any unknown column or table."""
    expression = qualify(
        sqlglot.parse_one(sql, read="postgres"),
        schema={SCHEMA: marts},
        dialect="postgres",
        validate_qualify_columns=True,
    )
    return list(expression.named_selects)


def _tables(sql: str) -> set[str]:
    return {t.name for t in sqlglot.parse_one(sql, read="postgres").find_all(sqlglot.exp.Table)}


def _why(exc: Exception) -> str:
    return str(exc).split(". Line", 1)[0].strip()


class Dataset:
    """What a dataset offers charts, and which of its names no longer resolve (and why)."""

    def __init__(self, doc: Mapping[str, Any], marts: Mapping[str, Mapping[str, str]]) -> None:
        self.name = doc["table_name"]
        self.sql = _source_sql(doc)
        self.broken: dict[str, str] = {}
        self.problems: list[str] = []
        self.columns = {c["column_name"] for c in doc.get("columns", [])}
        self.metrics = {m["metric_name"] for m in doc.get("metrics", [])}
        try:
            self.tables = _tables(self.sql)
            outputs = set(_resolve(self.sql, marts))
        except (OptimizeError, ParseError) as exc:  # nothing it offers can run
            self.tables = set()
            why = f"the dataset's query no longer runs on the marts: {_why(exc)}"
            self.broken = dict.fromkeys(self.columns | self.metrics, why)
            self.problems.append(f"dataset «{self.name}»: {why}")
            return
        for table in sorted(t for t in self.tables if t not in marts):
            self.problems.append(f"dataset «{self.name}» reads {SCHEMA}.{table}, which no dbt model builds")
        for column in doc.get("columns", []):
            name, expression = column["column_name"], column.get("expression")
            if expression:
                self._check_expression(f"calculated column «{name}»", name, expression, marts)
            elif name not in outputs:
                self.broken[name] = f"{SCHEMA}.{'/'.join(sorted(self.tables))} has no column {name!r}"
        for metric in doc.get("metrics", []):
            name = metric["metric_name"]
            self._check_expression(f"metric «{name}»", name, metric["expression"], marts)
        for name, why in self.broken.items():
            self.problems.append(f"dataset «{self.name}»: «{name}»: {why}")

    def _check_expression(self, what: str, name: str, expression: str, marts: Mapping[str, Mapping[str, str]]) -> None:
        try:
            _resolve(f"select {expression} as probe from ({self.sql}) as dataset", marts)
        except (OptimizeError, ParseError) as exc:
            self.broken[name] = f"{what} no longer resolves: {_why(exc)}"

    def offers(self, name: str) -> bool:
        return name in self.columns or name in self.metrics


# --- what a chart uses -------------------------------------------------------------------

_COLUMN_LISTS = ("groupby", "columns", "all_columns", "series", "entity", "x", "y", "size")
_COLUMN_ONE = ("x_axis", "granularity_sqla", "series_limit_metric", "timeseries_limit_metric", "sort_by_metric")
_METRICS = ("metrics", "metric", "metric_2", "percent_metrics", "secondary_metric", "x_axis_sort", "size")


def _names(value: Any) -> Iterable[str]:
    """Names in a control value: a column or metric name, a SIMPLE adhoc metric/column/filter."""
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _names(item)
    elif isinstance(value, dict):
        if value.get("expressionType") == "SIMPLE":
            column = value.get("column") or {}
            name = column.get("column_name") if isinstance(column, dict) else None
            yield from _names(name or value.get("subject"))
        elif value.get("expressionType") == "SQL" or value.get("sqlExpression"):
            yield from ()  # free SQL: checked by running the chart, not here


def chart_uses(params: Mapping[str, Any]) -> set[str]:
    used: set[str] = set()
    for key in (*_COLUMN_LISTS, *_COLUMN_ONE, *_METRICS, "adhoc_filters"):
        used.update(_names(params.get(key)))
    for order in params.get("order_by_cols") or []:
        used.update(_names(json.loads(order)[0] if isinstance(order, str) else order[0]))
    for rule in params.get("conditional_formatting") or []:
        used.update(_names(rule.get("column")))
    used.update((params.get("column_config") or {}).keys())
    return used


def _dashboards_of(assets: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    on: dict[str, list[str]] = defaultdict(list)
    for rel, doc in assets.items():
        if rel.startswith("dashboards/"):
            for part in (doc.get("position") or {}).values():
                if isinstance(part, dict) and part.get("type") == "CHART":
                    on[str(part["meta"].get("uuid"))].append(doc["dashboard_title"])
    return on


def check_assets(folder: Path, dbt_project: Path) -> list[str]:
    """Every problem, one line each; empty when the dashboards match the marts."""
    marts = dbt_marts(dbt_project)
    assets = bundle.read_folder(folder)
    datasets = {str(doc["uuid"]): Dataset(doc, marts) for rel, doc in assets.items() if rel.startswith("datasets/")}
    problems = [p for ds in datasets.values() for p in ds.problems]
    on = _dashboards_of(assets)
    for rel, doc in sorted(assets.items()):
        if not rel.startswith("charts/"):
            continue
        dataset = datasets.get(str(doc["dataset_uuid"]))
        where = f"chart «{doc['slice_name']}» ({rel}; on {', '.join(on.get(str(doc['uuid']), [])) or 'no dashboard'})"
        if dataset is None:
            problems.append(f"{where}: its dataset {doc['dataset_uuid']} is not in the assets")
            continue
        for name in sorted(chart_uses(doc.get("params") or {})):
            if name in dataset.broken:
                problems.append(f"{where} is broken: «{name}»: {dataset.broken[name]}")
            elif not dataset.offers(name):
                problems.append(f"{where} uses «{name}», which dataset «{dataset.name}» does not have")
    problems += check_exposures(assets, datasets, dbt_project)
    return problems


def check_exposures(
    assets: Mapping[str, Mapping[str, Any]], datasets: Mapping[str, Dataset], dbt_project: Path
) -> list[str]:
    """Each dashboard is a dbt exposure (matched by its URL's slug) depending on every mart it reads."""
    exposures = {}
    for path in sorted((dbt_project / "models").rglob("*.yml")):
        for exposure in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("exposures", []):
            exposures[exposure.get("url", "").rstrip("/").rsplit("/", 1)[-1]] = exposure
    charts = {str(doc["uuid"]): doc for rel, doc in assets.items() if rel.startswith("charts/")}
    problems = []
    for rel, doc in sorted(assets.items()):
        if not rel.startswith("dashboards/"):
            continue
        exposure = exposures.get(doc.get("slug"))
        if exposure is None:
            problems.append(
                f"dashboard «{doc['dashboard_title']}» ({doc.get('slug')}) has no dbt exposure with its URL"
            )
            continue
        reads = set()
        for part in (doc.get("position") or {}).values():
            if isinstance(part, dict) and part.get("type") == "CHART":
                chart = charts.get(str(part["meta"].get("uuid")), {})
                if str(chart.get("dataset_uuid")) in datasets:
                    reads |= datasets[str(chart["dataset_uuid"])].tables
        declared = {d.split("'")[1] for d in exposure.get("depends_on", []) if "'" in d}
        for table in sorted(reads - declared):
            problems.append(
                f"dbt exposure {exposure['name']} lacks ref('{table}'), which «{doc['dashboard_title']}» reads"
            )
    return problems
