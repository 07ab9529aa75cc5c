"""Headless Chromium over the dashboards, as a district manager would open them.

- `--save-query-contexts`: Superset stores how to query a chart (its query_context) the
  first time the chart is opened in Explore; charts written as YAML have none, and without
  one the chart data API (reports, CSV export, the tests) cannot run them. Opening each
  such chart once lets Superset's own front end write it; `export` then keeps it in git.
- `--screenshots DIR`: a PNG of every dashboard, whole, once every chart has drawn.
- `--report FILE`: per dashboard, the charts drawn and any chart that showed an error.

Debian's chromium and chromedriver (/usr/bin), flags for a machine with no network.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--lang=zh-CN",
    "--force-device-scale-factor=1",
)
WIDTH = 1600
CHART = ".dashboard-component-chart-holder"
LOADING = ".dashboard-component-chart-holder .loading, [data-test='loading-indicator']"
ERRORS = "[data-test='chart-error-message'], .dashboard-component-chart-holder .ant-alert-error"


class Api:
    """Superset's REST API as the admin (token login, CSRF for writes)."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()
        login = {"username": username, "password": password, "provider": "db", "refresh": True}
        token = self._ok(self.http.post(f"{self.base}/api/v1/security/login", json=login, timeout=60))["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.http.headers.update({"X-CSRFToken": csrf, "Referer": self.base})

    @staticmethod
    def _ok(response: requests.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> Any:
        return self._ok(self.http.get(f"{self.base}{path}", timeout=120))

    def listing(self, kind: str) -> list[dict[str, Any]]:
        return self.get(f"/api/v1/{kind}/?q=(page_size:100)")["result"]


@contextmanager
def chromium(height: int = 1000) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.TemporaryDirectory(prefix="cityops-chromium-")
    for flag in (*FLAGS, f"--window-size={WIDTH},{height}", f"--user-data-dir={profile.name}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def login(driver: webdriver.Chrome, base: str, username: str, password: str) -> None:
    driver.get(f"{base}/login/")
    _wait(lambda: driver.find_elements(By.ID, "username"), 60, "the login page")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "[data-test='login-button']").click()
    _wait(lambda: "/login" not in driver.current_url, 60, "the login to finish")


def _wait(condition: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    raise TimeoutError(f"waited {seconds:.0f}s for {what}")


def open_dashboard(driver: webdriver.Chrome, base: str, dashboard: dict[str, Any]) -> dict[str, Any]:
    """Open it, wait until every chart has drawn (or failed); what it showed."""
    driver.get(f"{base}/superset/dashboard/{dashboard['slug'] or dashboard['id']}/?standalone=1")
    _wait(lambda: driver.find_elements(By.CSS_SELECTOR, CHART), 120, f"the charts of {dashboard['dashboard_title']}")

    def settled() -> bool:
        holders = driver.find_elements(By.CSS_SELECTOR, CHART)
        busy = driver.find_elements(By.CSS_SELECTOR, LOADING)
        drawn = driver.find_elements(
            By.CSS_SELECTOR, f"{CHART} svg, {CHART} canvas, {CHART} table, {CHART} .header-line"
        )
        return bool(holders) and not busy and len(drawn) >= len(holders)

    with contextlib.suppress(TimeoutError):  # reported below as charts still loading
        _wait(settled, 180, f"every chart of {dashboard['dashboard_title']} to draw")
    time.sleep(2)  # ECharts animates its first frame
    holders = driver.find_elements(By.CSS_SELECTOR, CHART)
    errors = [e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, ERRORS) if e.text.strip()]
    return {
        "id": dashboard["id"],
        "title": dashboard["dashboard_title"],
        "slug": dashboard["slug"],
        "charts": len(holders),
        "busy": len(driver.find_elements(By.CSS_SELECTOR, LOADING)),
        "errors": errors,
        "text": driver.find_element(By.TAG_NAME, "body").text,
    }


def screenshot(driver: webdriver.Chrome, path: Path) -> None:
    """The whole dashboard: the window grows to the bottom of its lowest chart first (twice:
    charts below the fold are only laid out once they are in view)."""
    for _ in range(2):
        height = driver.execute_script(
            "const bottoms = [...document.querySelectorAll(arguments[0])]"
            "  .map(e => e.getBoundingClientRect().bottom + window.scrollY);"
            "return Math.max(document.documentElement.scrollHeight, ...bottoms) + 64;",
            CHART,
        )
        driver.set_window_size(WIDTH, max(900, int(height)))
        time.sleep(3)
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, 1000)


def save_query_contexts(driver: webdriver.Chrome, api: Api, base: str) -> list[str]:
    """Open in Explore every chart that has no query_context; the charts that got one."""
    saved = []
    for chart in api.listing("chart"):
        if api.get(f"/api/v1/chart/{chart['id']}")["result"].get("query_context"):
            continue
        driver.get(f"{base}/explore/?slice_id={chart['id']}")
        _wait(
            lambda chart_id=chart["id"]: api.get(f"/api/v1/chart/{chart_id}")["result"].get("query_context"),
            120,
            f"Superset to store the query of «{chart['slice_name']}»",
        )
        saved.append(chart["slice_name"])
    return saved


def browse(args: argparse.Namespace) -> int:
    username = os.environ.get("SUPERSET_ADMIN_USERNAME", "admin")
    password = os.environ["SUPERSET_ADMIN_PASSWORD"]
    base = args.url.rstrip("/")
    api = Api(base, username, password)
    report = []
    with chromium() as driver:
        login(driver, base, username, password)
        if args.save_query_contexts:
            for name in save_query_contexts(driver, api, base):
                print(f"query stored: {name}")
        for dashboard in sorted(api.listing("dashboard"), key=lambda d: d["id"]):
            if args.screenshots is None and args.report is None:
                break
            if args.only and dashboard["slug"] not in args.only:
                continue
            seen = open_dashboard(driver, base, dashboard)
            if args.screenshots is not None:
                seen["screenshot"] = str(args.screenshots / f"superset-{dashboard['slug'] or dashboard['id']}.png")
                screenshot(driver, Path(seen["screenshot"]))
            report.append(seen)
            print(
                f"{seen['title']}: {seen['charts']} charts, {len(seen['errors'])} errors, {seen['busy']} still loading"
            )
    if args.report is not None:
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if any(d["errors"] or d["busy"] for d in report) else 0
