"""Failure alerts: always a log line; a JSON POST when CITYOPS_ALERT_WEBHOOK is set.

Used as the tasks' on_failure_callback: it runs after a task's last retry, in the worker
that ran it, so under `airflow dags test` and on the production stack alike. An alert
that cannot be delivered is logged, never raised: it must not hide the failure itself.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

log = logging.getLogger("cityops.alerts")


def alert_message(context: dict[str, Any]) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", None) or context.get("run_id", "?")
    params = context.get("params") or {}
    error = context.get("exception")
    period = params.get("period") or ""
    rerun = f"cityops run --period {period} --airflow" if period else "clear the failed task in the Airflow UI"
    text = (
        f"cityops: {dag_id} failed at {task_id} (run {run_id}): {error or 'see the task log'}. "
        f"Fix what the task log says, then re-run: {rerun}"
    )
    return {
        "text": text,
        "dag_id": dag_id,
        "task_id": task_id,
        "run_id": run_id,
        "period": period,
        "error": str(error) if error else None,
    }


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def on_failure(context: dict[str, Any]) -> None:
    """The configurable failure callback of every cityops DAG."""
    payload = alert_message(context)
    log.error("ALERT %s", payload["text"])
    url = os.environ.get("CITYOPS_ALERT_WEBHOOK")
    if not url:
        return
    try:
        post_webhook(url, payload)
        log.info("alert sent to the webhook %s", url.split("?")[0])
    except Exception as exc:  # never let the alert mask the task's own failure
        log.error("could not send the alert to the webhook %s: %s", url.split("?")[0], exc)
