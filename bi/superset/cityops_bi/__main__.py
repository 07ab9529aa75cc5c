"""python -m cityops_bi {setup,import,export,login,check,browse} (run with Superset's environment).

Settings come from the environment, the same locally and in compose:
  SUPERSET_CONFIG_PATH     bi/superset/superset_config.py
  SUPERSET_ADMIN_PASSWORD  the admin's password (SUPERSET_ADMIN_USERNAME, default admin)
  CITYOPS_BI_WAREHOUSE_URL where Superset reads the warehouse, without the password
                           (default: the committed address, the compose stack's)
  CITYOPS_BI_PASSWORD      the password of that login (injected at import, never committed)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from cityops_bi import ASSETS_DIR


def _password(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"cityops_bi: set {name}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cityops_bi", description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=ASSETS_DIR, help="the asset folder (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="migrate the metadata, sync permissions, admin, import the assets")
    setup.add_argument("--template", type=Path, help="a migrated SQLite metadata file to start from (and keep)")
    commands.add_parser("import", help="import the assets, overwriting by UUID")
    commands.add_parser("export", help="write every dashboard, chart, dataset and database back to the folder")
    login = commands.add_parser("login", help="create or update the warehouse login in cityops_reporting")
    login.add_argument("--admin-url", required=True, help="a libpq URL of the warehouse's owner")
    login.add_argument("--user", default="cityops_bi")
    check = commands.add_parser("check", help="every column a chart uses exists in the dbt models")
    check.add_argument("--dbt-project", type=Path, required=True)
    browse = commands.add_parser("browse", help="drive headless Chromium over the dashboards")
    browse.add_argument("--url", required=True, help="Superset's base URL")
    browse.add_argument("--save-query-contexts", action="store_true", help="open every chart without one in Explore")
    browse.add_argument("--screenshots", type=Path, help="save a PNG of every dashboard into this folder")
    browse.add_argument("--report", type=Path, help="write what each dashboard showed as JSON")
    browse.add_argument("--only", action="append", help="only this dashboard (slug; repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "check":
        from cityops_bi.drift import check_assets

        problems = check_assets(args.assets, args.dbt_project)
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    if args.command == "login":
        from cityops_bi.login import ensure_login

        ensure_login(args.admin_url, args.user, _password("CITYOPS_BI_PASSWORD"))
        return 0
    if args.command == "browse":
        from cityops_bi.browser import browse as run_browser

        return run_browser(args)

    from cityops_bi import app

    admin = app.Admin.from_env()
    if args.command == "setup":
        app.setup(admin, args.template)
    if args.command in ("setup", "import"):
        count = app.import_assets(
            admin, args.assets, os.environ.get("CITYOPS_BI_WAREHOUSE_URL"), os.environ.get("CITYOPS_BI_PASSWORD")
        )
        print(f"imported {count} assets from {args.assets}")
    if args.command == "export":
        changed = app.export_assets(admin, args.assets)
        print("\n".join(changed) if changed else "the folder already matches Superset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
