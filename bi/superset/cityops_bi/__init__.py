"""cityops' side of Superset, run with Superset's own locked environment (bi/superset/.venv).

`python -m cityops_bi <command>`: set up Superset's metadata, import and export the assets
kept in bi/superset/assets, check them against the dbt models, and drive a headless
browser over the dashboards. The project's `cityops bi` commands call this; so does the
compose stack's `superset-init`.
"""

from pathlib import Path

BI_DIR = Path(__file__).resolve().parents[1]
ASSETS_DIR = BI_DIR / "assets"
