"""Orchestrate: running the Airflow DAGs locally (SQLite metadata under CITYOPS_HOME)."""
