"""The garbage clerk's month in a real browser (Debian's chromium, driven by Selenium), against a
real portal process: first login, a spoiled file, its problems on their cells, the marked copy,
the corrected file, the calendar; then the water clerk, who cannot see any of it."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from cityops import periods
from cityops.load.warehouse import connect
from cityops.portal import accounts
from tests.fixtures.garbage import garbage_rows, table, write_xlsx
from tests.portal.conftest import FIRST, NEW

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=zh-CN",
         "--window-size=1366,768")  # fmt: skip


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    with tempfile.TemporaryDirectory(prefix="portal-chromium-") as profile:
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def _wait(browser, css: str, timeout: float = 300):
    return WebDriverWait(browser, timeout, poll_frequency=0.2).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def _log_in(browser, url: str, username: str, password: str) -> None:
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form.stack button").click()


def _first_password(browser) -> None:
    _wait(browser, "#new")
    for field, value in (("current", FIRST), ("new", NEW), ("again", NEW)):
        browser.find_element(By.ID, field).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "form.stack button").click()
    _wait(browser, "#calendar")


def _send(browser, url: str, path: Path, period: str) -> None:
    browser.get(f"{url}/upload?dataset=garbage_sorting&period={period}")
    assert browser.find_element(By.ID, "period").get_attribute("value") == period  # prefilled
    browser.find_element(By.ID, "file").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "form.stack button").click()
    _wait(browser, "#outcome")


def test_the_garbage_clerks_month_in_a_browser(portal, browser, tmp_path):
    month = periods.previous_month(periods.month_of(periods.now().astimezone(periods.SHANGHAI).date()))
    period = periods.period_text(month)  # last month: on the calendar, and not yet overdue
    rows = garbage_rows(period)
    rows[3][2] = "abc"  # row 7 of the sheet (title, blank, header), column C
    rows[5][6] = 150  # row 9, column G: above 100%
    spoiled = write_xlsx(tmp_path / "垃圾分类-spoiled.xlsx", table(rows))
    corrected = write_xlsx(tmp_path / "垃圾分类.xlsx", table(garbage_rows(period)))

    with connect() as conn:  # first passwords, whatever ran before in this session
        for username in ("greening", "water"):
            accounts.reset(conn, username, FIRST)
    # 1. the first login asks for a new password
    _log_in(browser, portal.url, "greening", FIRST)
    _first_password(browser)
    # 2-3. a spoiled file: the problem table names the cells
    _send(browser, portal.url, spoiled, period)
    assert browser.find_element(By.ID, "outcome").get_attribute("data-status") == "rejected"
    cells = {
        row.find_element(By.CSS_SELECTOR, "td.cell").text: row.text
        for row in browser.find_elements(By.CSS_SELECTOR, "#problems tbody tr")
    }
    assert set(cells) == {"C7", "G9"}, cells
    assert "abc" in cells["C7"] and "wrong_type" in cells["C7"] and "不是数字" in cells["C7"]
    assert "max_value" in cells["G9"] and "报表" in cells["G9"]
    english = browser.find_element(By.CSS_SELECTOR, "#problems details")
    english.find_element(By.TAG_NAME, "summary").click()
    assert "is not a number" in english.text  # English, one click away
    # 4. the marked copy, downloaded with the browser's own session
    href = browser.find_element(By.ID, "marked").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    marked = httpx.get(href, cookies=cookies, timeout=60)
    assert marked.status_code == 200
    sheet = load_workbook(io.BytesIO(marked.content))["报表"]
    assert sheet["C7"].fill.fgColor.rgb.endswith("FFC7CE") and "不是数字" in sheet["C7"].comment.text
    assert sheet["G9"].comment is not None and sheet["C8"].comment is None
    # 5. the corrected file loads
    _send(browser, portal.url, corrected, period)
    outcome = browser.find_element(By.ID, "outcome")
    assert outcome.get_attribute("data-status") == "loaded" and "10" in outcome.text
    answer_url = browser.current_url
    # 6. the calendar says loaded
    browser.get(portal.url)
    row = browser.find_element(By.CSS_SELECTOR, f'#calendar tr[data-dataset="garbage_sorting"][data-period="{period}"]')
    assert row.get_attribute("data-state") == "loaded" and "已入库" in row.text
    # the 12 months before, by keyboard: the link takes the focus and Enter follows it
    browser.find_element(By.ID, "earlier").send_keys(Keys.ENTER)
    earlier = periods.period_text(periods.add_months(month, -12))
    _wait(browser, f'#calendar tr[data-period="{earlier}"]')
    this_month = periods.period_text(periods.next_month(month))
    assert browser.find_element(By.ID, "later").get_attribute("href").endswith(f"/?until={this_month}")
    browser.find_element(By.CSS_SELECTOR, "header form button").click()  # log out
    _wait(browser, "#username")

    # The water clerk: not on the calendar, not by the URL.
    _log_in(browser, portal.url, "water", FIRST)
    _first_password(browser)
    assert "生活垃圾分类" not in browser.page_source
    browser.get(answer_url)
    assert "无权访问" in browser.find_element(By.TAG_NAME, "main").text
    assert "C7" not in browser.page_source
