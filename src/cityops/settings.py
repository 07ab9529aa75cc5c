"""Where things live: the project tree (contracts, dbt) and CITYOPS_HOME (state).

Everything the pipeline writes goes under CITYOPS_HOME (default ./var), so a test or
a second installation is one environment variable away from a clean slate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def contracts_dir() -> Path:
    return Path(os.environ.get("CITYOPS_CONTRACTS_DIR", PROJECT_ROOT / "expectations"))


def dbt_project_dir() -> Path:
    return Path(os.environ.get("CITYOPS_DBT_PROJECT_DIR", PROJECT_ROOT / "dbt_project"))


def seeds_dir() -> Path:
    return dbt_project_dir() / "seeds"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def from_env(cls) -> Home:
        return cls(Path(os.environ.get("CITYOPS_HOME", "var")).resolve())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def airflow(self) -> Path:
        return self.root / "airflow"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    def ensure(self) -> Home:
        for path in (self.landing, self.archive, self.quarantine, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        # Quarantined files may hold personal data in clear: service user only.
        self.quarantine.chmod(0o700)
        return self
