"""Superset settings for cityops: the same file locally (`cityops bi up`) and in compose.

Everything that differs between the two comes from the environment:
- SUPERSET_SECRET_KEY            signs sessions and encrypts the stored warehouse password;
- SUPERSET_METADATA_URL          Superset's own database (SQLite under CITYOPS_HOME locally,
                                 PostgreSQL in compose); default: SQLite in SUPERSET_HOME.
"""

from __future__ import annotations

import os
from pathlib import Path

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
_HOME = Path(os.environ.get("SUPERSET_HOME", Path.home() / ".superset"))
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "SUPERSET_METADATA_URL", f"sqlite:///{_HOME / 'superset.db'}?check_same_thread=false"
)

# The district reads Chinese: the UI defaults to it; English stays one click away.
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}
APP_NAME = "长宁区城运主题数据库"

# Loopback only, no CDN: nothing here reaches out.
TALISMAN_ENABLED = False
WTF_CSRF_ENABLED = True
SUPERSET_WEBSERVER_TIMEOUT = 120
ROW_LIMIT = 10000
