"""The alert webhook: retried with backoff while it is down for a moment; a failed alert
never hides the task's own error (logged first, the callback never raises).

A real HTTP server on 127.0.0.1 answers with the statuses each test scripts.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cityops.orchestrate.alerts import on_failure


class _Scripted(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Scripted.received.append(json.loads(body))
        status = _Scripted.answers.pop(0) if _Scripted.answers else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted(monkeypatch):
    """(set the answers, the payloads received): a webhook answering as scripted, then 204."""
    _Scripted.answers, _Scripted.received = [], []
    server = HTTPServer(("127.0.0.1", 0), _Scripted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("CITYOPS_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/alerts")
    monkeypatch.setenv("CITYOPS_ALERT_ATTEMPTS", "4")
    monkeypatch.setenv("CITYOPS_ALERT_BACKOFF_S", "0.01")

    def answer(*statuses: int) -> list[dict]:
        _Scripted.answers[:] = list(statuses)
        return _Scripted.received

    yield answer
    server.shutdown()


def _context(error: str = "warehouse down"):
    class TI:
        dag_id, task_id, run_id = "cityops_month_close", "build", "manual__1"

    return {"ti": TI(), "params": {"period": "2025-03"}, "exception": RuntimeError(error)}


def test_a_webhook_down_for_a_moment_gets_the_alert_on_a_later_attempt(scripted, caplog):
    received = scripted(503, 502, 429)
    caplog.set_level(logging.INFO, "cityops.alerts")
    on_failure(_context())
    assert len(received) == 4, "three failures, then delivered"
    assert all("warehouse down" in r["text"] for r in received)
    assert "attempt 4" in caplog.text and "could not send" not in caplog.text


def test_a_webhook_that_stays_down_is_logged_after_the_last_attempt_and_never_raised(scripted, caplog):
    received = scripted(500, 500, 500, 500, 500)
    on_failure(_context("the disk is full"))  # returns: the task's own failure is what Airflow reports
    assert len(received) == 4
    messages = [r.getMessage() for r in caplog.records]
    first_alert = next(i for i, m in enumerate(messages) if m.startswith("ALERT"))
    gave_up = next(i for i, m in enumerate(messages) if m.startswith("could not send"))
    assert first_alert < gave_up, "the task's error is logged before any attempt"
    assert "the disk is full" in messages[first_alert] and "the disk is full" in messages[gave_up]


def test_a_refused_request_is_not_retried(scripted, caplog):
    received = scripted(400)
    on_failure(_context())
    assert len(received) == 1 and "could not send" in caplog.text


def test_a_context_the_alert_cannot_describe_still_logs_the_tasks_error(scripted, caplog):
    class Broken:
        @property
        def dag_id(self):
            raise RuntimeError("no dag here")

    received = scripted()
    on_failure({"ti": Broken(), "exception": ValueError("the real failure")})
    assert "the real failure" in caplog.text
    assert received and "the real failure" in received[0]["text"]
