"""The embedded Airflow's SQLite metadata in WAL mode (see cityops.orchestrate.local_settings).

`airflow dags test` commits its run, task and XCom state many times, and under SQLite's
default journal each commit waits for an fsync (when the transform was a task per dbt
node, a 250-node build took four times as long as plain dbt). WAL with synchronous=NORMAL
keeps the database consistent and only risks the last commits on a power cut, which a
re-run repairs.
Only the one-machine default uses this; the production stack uses PostgreSQL.
"""

from __future__ import annotations

from typing import Any


def create_metadata_engine(sql_alchemy_conn: str, *, engine_args: dict[str, Any], connect_args: dict[str, Any]):
    """Airflow's engine factory (airflow.settings), plus the WAL pragmas for SQLite."""
    from sqlalchemy import create_engine, event

    engine = create_engine(sql_alchemy_conn, connect_args=connect_args, **engine_args, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine
