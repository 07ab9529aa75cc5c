"""The district's dashboards in Apache Superset, run on the embedded warehouse.

Superset lives in bi/superset with its own locked environment (its pins conflict with
Airflow's); this package only drives it: installs that environment, creates the
warehouse login Superset reads through (a member of the read-only cityops_reporting
role), sets up Superset's SQLite metadata under CITYOPS_HOME/superset, imports the
assets and runs the web server on 127.0.0.1.
"""
