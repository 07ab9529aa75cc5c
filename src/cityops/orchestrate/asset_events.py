"""Telling a running Airflow that `raw.<dataset>` changed: an Asset event through its REST API.

A file loaded outside Airflow (by the portal) updates the same Asset an ingest DAG would, so
the transform DAG (scheduled on the `raw.*` Assets) builds the marts. Airflow 3's API:
a token from POST /auth/token, the Asset's id from GET /api/v2/assets (by its URI,
cityops.orchestrate.naming), then POST /api/v2/assets/events {"asset_id": …, "extra": …}.

Configured by CITYOPS_AIRFLOW_API_URL (the api-server, e.g. http://airflow-apiserver:8080);
the user is CITYOPS_AIRFLOW_API_USER (default admin), the password CITYOPS_AIRFLOW_API_PASSWORD
or else the simple auth manager's passwords file (CITYOPS_AIRFLOW_PASSWORDS_FILE, default
CITYOPS_HOME/secrets/airflow-passwords.json, where `cityops stack` and the compose stack keep it).
Plain urllib: the portal does not import Airflow to speak to it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cityops.errors import SystemFailure
from cityops.orchestrate.naming import raw_asset_uri
from cityops.settings import Home

URL_VARIABLE = "CITYOPS_AIRFLOW_API_URL"
TIMEOUT_S = 15


class AirflowApiError(SystemFailure):
    """Airflow's API could not be reached or refused the request (the message says which)."""


@dataclass(frozen=True)
class AirflowApi:
    url: str
    username: str
    password: str = ""
    passwords_file: Path | None = None  # read at each call: Airflow writes it when its api-server starts

    @classmethod
    def from_env(cls, home: Home | None = None) -> AirflowApi | None:
        """The configured API, or None when CITYOPS_AIRFLOW_API_URL is not set."""
        url = os.environ.get(URL_VARIABLE, "").strip().rstrip("/")
        if not url:
            return None
        default = (home or Home.from_env()).root / "secrets" / "airflow-passwords.json"
        return cls(
            url,
            os.environ.get("CITYOPS_AIRFLOW_API_USER", "admin"),
            os.environ.get("CITYOPS_AIRFLOW_API_PASSWORD", ""),
            Path(os.environ.get("CITYOPS_AIRFLOW_PASSWORDS_FILE", default)),
        )

    def _password(self) -> str:
        if self.password or self.passwords_file is None:
            return self.password
        try:
            return json.loads(self.passwords_file.read_text())[self.username]
        except (OSError, ValueError, KeyError) as exc:
            raise AirflowApiError(
                f"no Airflow password for '{self.username}': set CITYOPS_AIRFLOW_API_PASSWORD or keep it in "
                f"{self.passwords_file} ({type(exc).__name__})"
            ) from None

    def _call(self, method: str, path: str, body: dict | None = None, token: str = "") -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise AirflowApiError(f"Airflow API {method} {path}: HTTP {exc.code} {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise AirflowApiError(f"Airflow API at {self.url} unreachable: {exc}") from None

    def token(self) -> str:
        answer = self._call("POST", "/auth/token", {"username": self.username, "password": self._password()})
        return answer["access_token"]

    def asset_id(self, dataset: str, token: str) -> int:
        uri = raw_asset_uri(dataset)
        query = urllib.parse.urlencode({"uri_pattern": uri, "limit": 100})
        found = self._call("GET", f"/api/v2/assets?{query}", token=token)
        for asset in found.get("assets", []):
            if asset.get("uri") == uri:
                return int(asset["id"])
        raise AirflowApiError(f"Airflow knows no Asset {uri}: is the DAG folder parsed (cityops_ingest_{dataset})?")

    def announce_raw(self, dataset: str, **extra: Any) -> dict[str, Any]:
        """Record an Asset event for raw.<dataset>; Airflow's answer (the event, with its id and timestamp)."""
        token = self.token()
        body = {"asset_id": self.asset_id(dataset, token), "extra": {"source": "cityops", **extra}}
        return self._call("POST", "/api/v2/assets/events", body, token=token)
