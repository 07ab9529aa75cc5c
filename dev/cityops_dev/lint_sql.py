"""sqlfluff on the dbt project with dbt's own templater: offline, on a fresh machine.

dbt's templater compiles every model as dbt would, which needs a live connection
(`is_incremental()` asks the warehouse whether the table is there). So this starts a
throwaway embedded PostgreSQL in a temporary folder, points the dbt profile at it
(CITYOPS_DB_*, as `cityops build` does), runs sqlfluff from dbt_project/ and stops the
server: nothing to configure, nothing left behind, the user's warehouse untouched.

    python -m cityops_dev.lint_sql            # sqlfluff lint
    python -m cityops_dev.lint_sql fix        # sqlfluff fix
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cityops.load import warehouse
from cityops.settings import Home, dbt_project_dir
from cityops.transform.dbt import dbt_env


def main(argv: list[str]) -> int:
    command, *extra = argv or ["lint"]
    os.environ.pop("CITYOPS_WAREHOUSE_URL", None)  # never lint against a real warehouse
    with tempfile.TemporaryDirectory(prefix="cityops-sqlfluff-") as scratch:
        home = Home(Path(scratch)).ensure()
        warehouse.start(home)
        try:
            env = {
                **os.environ,
                **dbt_env(home),
                "DBT_TARGET_PATH": str(home.root / "target"),
                "DBT_LOG_PATH": str(home.logs),
            }
            sqlfluff = Path(sys.executable).with_name("sqlfluff")
            return subprocess.run([str(sqlfluff), command, ".", *extra], cwd=dbt_project_dir(), env=env).returncode
        finally:
            warehouse.stop(home)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
