"""Names Airflow knows the warehouse by: DAG ids and Asset URIs, built from dataset ids here only.

A new contract in expectations/ gets its ingest DAG and its raw Asset from these functions;
nothing else spells them, so a DAG id and the Asset it updates can never drift apart.
"""

from __future__ import annotations

from cityops.periods import FILE_GLOB

MONTH_CLOSE_DAG_ID = "cityops_month_close"
TRANSFORM_DAG_ID = "cityops_transform"
# The Airflow pool of the dbt build task of every DAG: one slot, so one build at a time.
DBT_POOL = "cityops_dbt"
DBT_POOL_DESCRIPTION = "one dbt build at a time (the marts__next schema and the swap)"
# `airflow pools set …`: every metadata DB needs the pool (a task in a missing pool is never scheduled).
DBT_POOL_ARGS: tuple[str, ...] = ("pools", "set", DBT_POOL, "1", DBT_POOL_DESCRIPTION)
# The FileSensor's connection: a `fs` connection whose path is CITYOPS_HOME/landing.
LANDING_CONN_ID = "cityops_landing"
# The Asset URIs name the warehouse by its service name in docker-compose.yml; they are
# identifiers for lineage, never used to connect (the connection comes from cityops).
WAREHOUSE_URI = "postgres://warehouse:5432/cityops"


def ingest_dag_id(dataset: str) -> str:
    return f"cityops_ingest_{dataset}"


def raw_table(dataset: str) -> str:
    return f"raw.{dataset}"


def raw_asset_uri(dataset: str) -> str:
    return f"{WAREHOUSE_URI}/raw/{dataset}"


def raw_asset(dataset: str):
    """The Airflow Asset of `raw.<dataset>`: an ingest DAG's outlet, the transform DAG's trigger."""
    from airflow.sdk import Asset

    return Asset(name=raw_table(dataset), uri=raw_asset_uri(dataset), group="raw")


def landing_pattern(dataset: str) -> str:
    """The glob (relative to the landing connection) of files named with their month (cityops.periods)."""
    return f"{dataset}/{FILE_GLOB}"
