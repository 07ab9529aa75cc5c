"""The portal's Asset-event client: its configuration and its errors, without Airflow. Against a real
api-server it is driven by the stack's end-to-end test (tests/orchestrate/test_stack.py, step 3a)."""

from __future__ import annotations

import json
import socket

import pytest

from cityops.orchestrate.asset_events import AirflowApi, AirflowApiError
from cityops.settings import Home


def test_no_url_no_api_and_the_password_comes_from_airflows_passwords_file(tmp_path, monkeypatch):
    home = Home(tmp_path)
    monkeypatch.delenv("CITYOPS_AIRFLOW_API_URL", raising=False)
    assert AirflowApi.from_env(home) is None  # the embedded default: the portal builds itself
    monkeypatch.setenv("CITYOPS_AIRFLOW_API_URL", "http://127.0.0.1:9/")
    monkeypatch.delenv("CITYOPS_AIRFLOW_API_PASSWORD", raising=False)
    api = AirflowApi.from_env(home)
    assert api.url == "http://127.0.0.1:9" and api.username == "admin"
    with pytest.raises(AirflowApiError, match="no Airflow password for 'admin'"):
        api.token()  # the file is not there yet: Airflow writes it when its api-server starts
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "airflow-passwords.json").write_text(json.dumps({"admin": "s3cret"}))
    assert api._password() == "s3cret"


def test_an_unreachable_api_is_one_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nobody listens there
    api = AirflowApi(f"http://127.0.0.1:{port}", "admin", "pw")
    with pytest.raises(AirflowApiError, match=f"Airflow API at http://127.0.0.1:{port} unreachable"):
        api.announce_raw("garbage_sorting", via="portal")
