"""The embedded execution API of one version: it applies to the installed Airflow and serves the task SDK.

If an Airflow upgrade changes what cityops.orchestrate.head_version_only expects, the patch
does nothing (logged at debug) and `airflow dags test` still works, only slower: this test
is what says so.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cityops.orchestrate.airflow_run import airflow_env
from cityops.settings import Home

pytestmark = pytest.mark.slow

PROBE = """
import json
from cityops.orchestrate.head_version_only import serve_only_the_task_sdk_version

serve_only_the_task_sdk_version()
from airflow.sdk.api.datamodels._generated import API_VERSION
from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor, in_process_api_server

client = InProcessTestSupervisor._api_client()  # what `airflow dags test` calls its API with
ping = client.get("health/ping")
served = list(in_process_api_server().app.router.versioned_routers)
print(json.dumps({"sdk": API_VERSION, "served": served, "ping": ping.status_code}))
"""


def test_the_in_process_api_serves_only_the_task_sdks_version_and_answers_it(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=airflow_env(Home(tmp_path)), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["served"] == [probe["sdk"]]
    assert probe["ping"] == 200
