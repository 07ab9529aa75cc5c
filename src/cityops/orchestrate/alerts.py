"""Failure alerts: always a log line; a JSON POST when CITYOPS_ALERT_WEBHOOK is set.

Used as the tasks' on_failure_callback: it runs after a task's last retry, in the worker
that ran it, so under `airflow dags test` and on the production stack alike. An alert
that cannot be delivered is logged, never raised: it must not hide the failure itself.

The task's own error is logged first, before any attempt to post. A webhook that is down
for a moment (a refused connection, a timeout, HTTP 429 or 5xx) is tried again with
exponential backoff: CITYOPS_ALERT_ATTEMPTS (default 4) attempts, waiting
CITYOPS_ALERT_BACKOFF_S (default 2) seconds, then twice that, and so on. A 4xx answer
other than 429 is not retried: the same request would be refused again.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
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


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, OSError)  # refused, reset, unreachable, timed out (URLError is an OSError)


def deliver(url: str, payload: dict[str, Any]) -> int:
    """Post `payload`, retrying with exponential backoff; the attempts it took. Raises the last error."""
    attempts = max(1, int(os.environ.get("CITYOPS_ALERT_ATTEMPTS", "4")))
    wait = float(os.environ.get("CITYOPS_ALERT_BACKOFF_S", "2"))
    for attempt in range(1, attempts + 1):
        try:
            post_webhook(url, payload)
            return attempt
        except Exception as exc:
            if attempt == attempts or not _retryable(exc):
                raise
            log.warning("alert webhook attempt %d of %d failed (%s); again in %.1f s", attempt, attempts, exc, wait)
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


def on_failure(context: dict[str, Any]) -> None:
    """The configurable failure callback of every cityops DAG. Never raises."""
    try:
        payload = alert_message(context)
    except Exception as exc:  # a context we cannot describe: the task's error still goes out
        payload = {"text": f"cityops: a task failed: {context.get('exception')!r} (alert text failed: {exc})"}
    log.error("ALERT %s", payload["text"])
    url = os.environ.get("CITYOPS_ALERT_WEBHOOK")
    if not url:
        return
    where = url.split("?")[0]
    try:
        attempts = deliver(url, payload)
        log.info("alert sent to the webhook %s (attempt %d)", where, attempts)
    except Exception as exc:  # never let the alert mask the task's own failure
        log.error("could not send the alert to the webhook %s: %s; the alert was: %s", where, exc, payload["text"])
