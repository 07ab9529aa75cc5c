"""The portal over HTTP, as a browser speaks to it: cookies, CSRF, lockout, isolation, bad files,
uploads at once and a large file's progress. A real server, a real warehouse."""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import re
import threading
from pathlib import Path

import httpx
import psycopg
import pytest
from openpyxl import load_workbook

from cityops import periods
from cityops.contracts import all_contracts
from cityops.load.roles import department_role
from cityops.load.warehouse import connect
from cityops.portal import accounts
from tests.fixtures.garbage import garbage_rows, table, write_xlsx
from tests.fixtures.rows import hotline, month_file, row_maker
from tests.fixtures.waiting import wait_for
from tests.portal.conftest import (
    FIRST,
    MAX_FILE_MB,
    NEW,
    answer,
    csrf_of,
    login,
    start_portal,
    stop_portal,
    upload,
)

pytestmark = pytest.mark.slow
PERIOD = "2025-03"


def _garbage(path: Path, scale: float = 1.0, spoil: bool = False) -> Path:
    rows = garbage_rows(PERIOD, scale)
    if spoil:
        rows[3][2] = "abc"
    return write_xlsx(path, table(rows))


def test_the_session_cookie_is_signed_httponly_and_samesite(portal):
    with connect() as conn:
        accounts.reset(conn, "water", FIRST)  # a first password, whatever ran before
    client = httpx.Client(base_url=portal.url)
    form = client.get("/login")
    assert "HttpOnly" in form.headers["set-cookie"] and "SameSite=strict" in form.headers["set-cookie"]
    response = client.post("/login", data={"username": "water", "password": FIRST, "csrf": csrf_of(form.text)})
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("cityops_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=" in cookie
    assert response.headers["location"] == "/password"  # a first password must be changed first
    assert client.get("/").headers["location"] == "/password"
    tampered = httpx.Client(base_url=portal.url, cookies={"cityops_session": cookie.split(";")[0][16:-3] + "abc"})
    assert tampered.get("/").headers["location"] == "/login"
    assert "script-src 'self'" in form.headers["content-security-policy"]


def test_a_form_without_its_csrf_token_is_refused(portal):
    anonymous = httpx.Client(base_url=portal.url)
    assert anonymous.post("/login", data={"username": "water", "password": FIRST}).status_code == 403
    client = login(portal, "water")
    refused = client.post("/logout", data={})
    assert refused.status_code == 403 and "表单已过期" in refused.text
    with (Path(__file__).parent / "__init__.py").open("rb") as fh:
        no_token = client.post("/upload", data={"dataset": "water_quality", "period": PERIOD}, files={"file": fh})
    assert no_token.status_code == 403
    with connect() as conn:
        assert conn.execute("select count(*) from portal.uploads where username = 'water'").fetchone()[0] == 0
    out = client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    assert out.headers["location"] == "/login" and client.get("/").headers["location"] == "/login"


def test_repeated_failures_lock_the_account_until_an_admin_resets_it(portal):
    with connect() as conn:
        conn.execute("delete from portal.accounts where username = 'housing'")
        accounts.add(conn, "housing", "区房管局", "clerk", FIRST)
    client = httpx.Client(base_url=portal.url)
    for _ in range(accounts.MAX_FAILURES):
        form = client.get("/login")
        wrong = client.post("/login", data={"username": "housing", "password": "nope", "csrf": csrf_of(form.text)})
        assert wrong.status_code == 401
    assert "锁定" in wrong.text
    form = client.get("/login")
    right = client.post("/login", data={"username": "housing", "password": FIRST, "csrf": csrf_of(form.text)})
    assert right.status_code == 401 and "锁定" in right.text  # even the right password, while locked
    with connect() as conn:
        events = conn.execute(
            "select action from audit.portal_events where username = 'housing' order by event_id"
        ).fetchall()
        assert [e[0] for e in events][-2:] == ["login_locked", "login_locked"]
        accounts.reset(conn, "housing", FIRST)
    assert login(portal, "housing").get("/").status_code == 200


def test_a_department_sees_only_its_own_submissions_in_the_app_and_in_the_warehouse(portal, tmp_path):
    greening = login(portal, "greening")
    sent = upload(greening, _garbage(tmp_path / "garbage.xlsx", spoil=True), "garbage_sorting", PERIOD)
    page = answer(greening, sent.headers["location"])
    upload_id = sent.headers["location"].rsplit("/", 1)[1]
    batch_id = re.search(r"/batches/([0-9a-f-]{36})/", greening.get(f"/history/garbage_sorting/{PERIOD}").text)
    with connect() as conn:
        garbage_batch = conn.execute(
            "select batch_id from audit.ingest_batches where dataset = 'garbage_sorting' limit 1"
        ).fetchone()[0]
    water = login(portal, "water")
    for url in (
        f"/batches/{garbage_batch}/report",
        f"/batches/{garbage_batch}/original",
        f"/uploads/{upload_id}",
        f"/uploads/{upload_id}/marked.xlsx",
        f"/uploads/{upload_id}/original",
        f"/history/garbage_sorting/{PERIOD}",
    ):
        refused = water.get(url)
        assert refused.status_code == 403 and "无权访问" in refused.text, url
    assert "data-status" in page.text and batch_id is None  # portal uploads link their own page
    form = water.get("/upload")
    with (tmp_path / "garbage.xlsx").open("rb") as fh:
        other = water.post("/upload", data={"dataset": "garbage_sorting", "period": PERIOD,
                                            "csrf": csrf_of(form.text)}, files={"file": fh})  # fmt: skip
    assert other.status_code == 403
    assert "生活垃圾" not in water.get("/").text
    assert water.get("/overview").status_code == 403  # the operations centre's view is theirs
    # The warehouse itself: as the water department's role, the garbage upload is not there.
    with connect() as conn, conn.transaction():
        conn.execute(f"set local role {department_role('water')}")
        assert conn.execute("select count(*) from portal.uploads").fetchone()[0] == 0
        assert (
            conn.execute("select count(*) from audit.ingest_batches where dataset = 'garbage_sorting'").fetchone()[0]
            == 0
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from portal.accounts")


def test_the_answer_counts_each_rule_and_the_full_list_downloads_in_both_languages(portal, tmp_path):
    client = login(portal, "greening")
    rows = garbage_rows(PERIOD)
    rows[3][2] = "abc"  # C7: an error
    rows[5][6] = 150  # G9: an error
    sent = upload(client, write_xlsx(tmp_path / "two.xlsx", table(rows)), "garbage_sorting", PERIOD)
    page = answer(client, sent.headers["location"])
    per_rule = page.text.split('id="per-rule"')[1].split("</table>")[0]
    assert "wrong_type" in per_rule and "max_value" in per_rule
    only = client.get(sent.headers["location"] + "?only=errors").text
    assert 'class="cell">C7<' in only and 'class="cell">G9<' in only
    listed = client.get(sent.headers["location"] + "/problems.xlsx")
    sheet = load_workbook(io.BytesIO(listed.content)).worksheets[0]
    cells = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(cells) == {"C7", "G9"} and cells["C7"][4] == "干垃圾（吨）" and "not a number" in cells["C7"][8]
    english = client.get(f"/lang?to=en&next={sent.headers['location']}")
    assert english.headers["location"] == sent.headers["location"]
    page = client.get(sent.headers["location"]).text
    assert "Rejected:" in page and page.index("is not a number") < page.index("不是数字")  # English first, 中文 a click
    client.get("/lang?to=zh&next=/")


def test_download_links_take_no_paths_and_redirects_stay_home(portal):
    client = login(portal, "greening")
    for url in (
        "/uploads/..%2F..%2F..%2Fetc%2Fpasswd/original",
        "/uploads/%2e%2e/%2e%2e/etc/passwd",
        "/batches/..%2F..%2Fsecrets/original",
        "/history/..%2F..%2Fetc/passwd",
        "/static/..%2F..%2F..%2Fpyproject.toml",
    ):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "root:" not in response.text and "[project]" not in response.text
    assert client.get("/lang?to=en&next=//evil.example/").headers["location"] == "/"


def test_oversize_wrong_type_and_hostile_files_get_one_sentence_and_the_server_keeps_serving(portal, tmp_path):
    client = login(portal, "greening")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * ((MAX_FILE_MB << 20) // 4 + 1000))
    too_big = upload(client, big, "garbage_sorting", PERIOD)
    assert too_big.status_code == 413 and f"{MAX_FILE_MB} MB" in too_big.text
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ" + b"\0" * 100)
    wrong = upload(client, exe, "garbage_sorting", PERIOD)
    assert wrong.status_code == 400 and "只接受 xlsx、xls 或 csv" in wrong.text
    fake = tmp_path / "fake.xlsx"
    fake.write_text("<script>alert(1)</script>", encoding="utf-8")
    hostile = answer(
        client, upload(client, fake, "garbage_sorting", PERIOD, name="../../<b>x</b>.xlsx").headers["location"]
    )
    assert 'data-status="rejected"' in hostile.text and "<b>x</b>" not in hostile.text
    assert "not_what_name_says" in hostile.text
    assert client.get("/healthz").status_code == 200


def test_two_uploads_of_one_month_at_once_leave_exactly_one_current_batch(portal, tmp_path):
    clients = [login(portal, "greening"), login(portal, "greening")]
    files = [_garbage(tmp_path / f"g{i}.xlsx", scale=1 + i / 100) for i in range(2)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        pairs = zip(clients, files, strict=True)
        sent = list(pool.map(lambda cf: upload(cf[0], cf[1], "garbage_sorting", PERIOD), pairs))
    pages = [answer(c, s.headers["location"]) for c, s in zip(clients, sent, strict=True)]
    assert all('data-status="loaded"' in p.text for p in pages), [p.text[-2000:] for p in pages]
    with connect() as conn:
        states = conn.execute(
            "select status, count(*) from audit.ingest_batches where dataset = 'garbage_sorting' and "
            "period = '2025-03-01' and status in ('current', 'superseded') group by 1"
        ).fetchall()
        assert dict(states)["current"] == 1 and dict(states)["superseded"] >= 1
        sha = conn.execute(
            "select file_sha256 from audit.ingest_batches where dataset = 'garbage_sorting' and "
            "period = '2025-03-01' and status = 'current'"
        ).fetchone()[0]
    current = next(f for f in files if hashlib.sha256(f.read_bytes()).hexdigest() == sha)
    again = answer(clients[0], upload(clients[0], current, "garbage_sorting", PERIOD).headers["location"])
    assert 'data-status="unchanged"' in again.text  # an identical re-upload changes nothing, and says so
    history = clients[0].get(f"/history/garbage_sorting/{PERIOD}").text
    assert history.count('data-status="current"') == 1 and 'data-status="superseded"' in history


def test_a_large_file_shows_its_progress_and_blocks_nobody(portal, tmp_path):
    path = month_file(tmp_path / "hotline", "hotline_cases", [hotline(i) for i in range(2000)], PERIOD)
    admin = login(portal, "city_ops")
    clerk = login(portal, "water")
    portal.gate.touch()  # hold the load once its rows are staged
    held = Path(str(portal.gate) + ".held")
    try:
        sent = upload(admin, path, "hotline_cases", PERIOD)
        location = sent.headers["location"]
        waited = threading.Event()
        while not held.exists():
            assert admin.get("/healthz").status_code == 200
            waited.wait(0.1)
        progress = admin.get(location)
        assert 'http-equiv="refresh"' in progress.text  # the page refreshes itself, naming the step
        assert re.search(r'data-step="(reading|copy|staged)"', progress.text), progress.text
        assert clerk.get("/").status_code == 200  # another department's calendar, while the load runs
        assert admin.get("/overview").status_code == 200
    finally:
        portal.gate.unlink(missing_ok=True)
    page = answer(admin, location)
    assert 'data-status="loaded"' in page.text and "2,000" in page.text
    export = admin.get(f"/overview.xlsx?period={PERIOD}")
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_a_load_cut_off_by_the_warehouse_says_try_again_later_and_keeps_the_file(portal, home, tmp_path):
    from cityops.load import warehouse

    client = login(portal, "greening")
    portal.gate.touch()
    held = Path(str(portal.gate) + ".held")
    held.unlink(missing_ok=True)
    try:
        sent = upload(client, _garbage(tmp_path / "cut.xlsx", scale=1.5), "garbage_sorting", PERIOD)
        waited = threading.Event()
        while not held.exists():
            waited.wait(0.1)
        warehouse.stop(home)  # the warehouse goes away with the rows staged, before the checks
    finally:
        portal.gate.unlink(missing_ok=True)
        warehouse.start(home)
    page = answer(client, sent.headers["location"])
    assert 'data-status="failed"' in page.text and "请稍后重新上传" in page.text
    upload_id = sent.headers["location"].rsplit("/", 1)[1]
    with connect() as conn:
        kept, batch = conn.execute(
            "select kept_file, batch_id from portal.uploads where upload_id = %s", (upload_id,)
        ).fetchone()
        assert batch is None and Path(kept).is_file()  # nothing half-loaded, the file kept
        published = conn.execute(
            "select count(*) from audit.ingest_batches where source_file = %s and status in ('current', 'superseded')",
            (kept,),
        ).fetchone()[0]
        assert published == 0
    assert client.get("/").status_code == 200  # and the portal serves again


def test_uploads_a_portal_left_under_way_or_queued_when_it_died_load_when_it_starts_again(portal, tmp_path):
    """A portal of one worker is killed (every process of it) with one upload held in the
    middle of its load and the next waiting in the queue: the next portal to start runs both,
    in the order they came, from the files it kept. (They stayed `running` and `queued`,
    the clerk's page waiting for ever.)"""
    first_file, second_file = _garbage(tmp_path / "a.xlsx", scale=1.7), _garbage(tmp_path / "b.xlsx", scale=1.8)
    dying = start_portal(tmp_path / "dying", workers=1)
    try:
        client = login(dying, "greening")
        dying.gate.touch()
        first = upload(client, first_file, "garbage_sorting", PERIOD).headers["location"]
        wait_for("the first load to be held", Path(f"{dying.gate}.held").exists, timeout=120)
        second = upload(client, second_file, "garbage_sorting", PERIOD).headers["location"]
    finally:
        stop_portal(dying, kill=True)
    ids = [location.rsplit("/", 1)[1] for location in (first, second)]
    with connect() as conn:
        left = conn.execute("select state from portal.uploads where upload_id = any(%s::uuid[])", (ids,)).fetchall()
    assert sorted(state for (state,) in left) == ["queued", "running"]

    again = start_portal(tmp_path / "again", workers=1)
    try:
        client = login(again, "greening")
        pages = [answer(client, location) for location in (first, second)]
        assert all('data-status="loaded"' in page.text for page in pages), [p.text[-1500:] for p in pages]
    finally:
        stop_portal(again)
    with connect() as conn:
        current = conn.execute(
            "select file_sha256 from audit.ingest_batches where dataset = 'garbage_sorting' and period = %s "
            "and status = 'current'",
            (periods.parse_period(PERIOD),),
        ).fetchall()
    assert current == [(hashlib.sha256(second_file.read_bytes()).hexdigest(),)], "the later upload is current"


def test_the_calendar_opens_on_an_earlier_window_even_through_the_first_login(portal, tmp_path):
    """What `make run` prints (`/?until=<last sample month>`) shows the sample months, not 12 missing ones."""
    greening = login(portal, "greening")
    sent = upload(greening, _garbage(tmp_path / "window.xlsx", scale=1.02), "garbage_sorting", PERIOD)
    assert 'data-status="loaded"' in answer(greening, sent.headers["location"]).text
    with connect() as conn:
        accounts.reset(conn, "greening", FIRST)  # a new user, on the printed URL
    client = httpx.Client(base_url=portal.url, timeout=60)
    to_login = client.get(f"/?until={PERIOD}")
    assert to_login.headers["location"] == "/login?next=%2F%3Funtil%3D2025-03"
    form = client.get(to_login.headers["location"])
    logged = client.post("/login", data={"username": "greening", "password": FIRST, "csrf": csrf_of(form.text),
                                         "next": "/?until=2025-03"})  # fmt: skip
    assert logged.headers["location"] == "/password?next=%2F%3Funtil%3D2025-03"
    form = client.get(logged.headers["location"])
    changed = client.post("/password", data={"current": FIRST, "new": NEW, "again": NEW, "csrf": csrf_of(form.text),
                                             "next": "/?until=2025-03"})  # fmt: skip
    assert changed.headers["location"] == "/?until=2025-03"
    page = client.get(changed.headers["location"]).text
    assert "2024-04 至 2025-03" in page
    row = re.search(r'<tr data-dataset="garbage_sorting" data-period="2025-03" data-state="(\w+)"', page)
    assert row and row.group(1) in ("loaded", "late", "loaded_with_warnings"), row  # loaded, not missing
    assert 'data-period="2024-03"' not in page and 'data-period="2025-04"' not in page
    earlier = re.search(r'id="earlier" rel="prev" href="([^"]+)"', page).group(1)
    later = re.search(r'id="later" rel="next" href="([^"]+)"', page).group(1)
    assert (earlier, later) == ("/?until=2024-03", "/?until=2026-03")
    assert 'data-period="2023-04"' in client.get(earlier).text
    latest = client.get("/").text  # the last 12 months: no later window, the usual title
    assert 'id="later"' not in latest and "近 12 个月" in latest and 'id="earlier"' in latest
    assert client.get("/?until=2999-01").text.count('id="later"') == 0  # never past this month
    assert client.post("/login", data={"next": "//evil.example/"}).status_code == 403  # CSRF first, as ever
    form = client.get("/login?next=//evil.example/")
    assert 'name="next" value="/"' in form.text


def test_a_callers_number_is_never_shown_in_clear_on_pages_lists_or_reports(portal, tmp_path):
    """A rejected hotline file whose phone cell is bad (a note pasted after the number) and whose street is
    bad: the problem table, the full list, the history and the CLI reports show 139****7777, never the number."""
    clear = "13912347777"
    rows = [hotline(i) for i in range(12)]
    rows[2]["caller_phone"] = f"{clear}（白天）或 021-62345678 转 8001，晚上请勿致电，谢谢合作"
    rows[4]["street"] = "不存在街道"
    path = month_file(tmp_path / "pii", "hotline_cases", rows, "2025-02")
    admin = login(portal, "city_ops")
    sent = upload(admin, path, "hotline_cases", "2025-02")
    page = answer(admin, sent.headers["location"]).text
    assert 'data-status="rejected"' in page and "too_long" in page and "unknown_street" in page
    assert "139****7777" in page and "021****5678" in page and "不存在街道" in page  # the other cell as it was
    listed = admin.get(sent.headers["location"] + "/problems.xlsx")
    cells = [str(v) for row in load_workbook(io.BytesIO(listed.content)).worksheets[0].values for v in row]
    assert any("139****7777" in v for v in cells)
    history = admin.get("/history/hotline_cases/2025-02").text
    upload_id = sent.headers["location"].rsplit("/", 1)[1]
    with connect() as conn:
        folder, stored = conn.execute(
            "select b.report->>'report_folder', b.report::text from audit.ingest_batches b join portal.uploads u "
            "on u.kept_file = b.source_file where u.upload_id = %s",
            (upload_id,),
        ).fetchone()
        answer_json = conn.execute("select answer::text from portal.uploads where upload_id = %s", (upload_id,))
        answer_json = answer_json.fetchone()[0]
    names = ("report.json", "report.md", "report.html")
    reports = [(Path(folder) / name).read_text(encoding="utf-8") for name in names]
    assert "139****7777" in reports[1]
    for shown in (page, *cells, history, stored, answer_json, *reports):
        assert clear not in shown and "62345678" not in shown


def test_ten_clerks_uploading_ten_datasets_at_once_all_load(portal, tmp_path):
    period = "2024-07"  # a month of its own: no other test loads it
    datasets = sorted(d for d, c in all_contracts().items() if c.submission == "monthly")[:10]
    assert len(datasets) == 10
    with connect() as conn:
        for i, dataset in enumerate(datasets):
            conn.execute("delete from portal.accounts where username = %s", (f"clerk{i}",))
            accounts.add(conn, f"clerk{i}", all_contracts()[dataset].department, "clerk", NEW)
        conn.execute("update portal.accounts set must_change = false where username like 'clerk%%'")
    clients = [login(portal, f"clerk{i}") for i in range(10)]
    files = [month_file(tmp_path / d, d, row_maker(d, period).rows(), period) for d in datasets]
    start = threading.Barrier(10)

    def send(i: int) -> str:
        start.wait()  # the ten requests leave together
        sent = upload(clients[i], files[i], datasets[i], period)
        assert sent.status_code == 303, sent.text
        return sent.headers["location"]

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        locations = list(pool.map(send, range(10)))
    pages = [answer(c, where) for c, where in zip(clients, locations, strict=True)]
    statuses = [re.search(r'data-status="(\w+)"', p.text).group(1) for p in pages]
    assert all(s in ("loaded", "loaded_with_warnings") for s in statuses), list(zip(datasets, statuses, strict=True))
    with connect() as conn:
        current = conn.execute(
            "select dataset from audit.ingest_batches where period = %s and status = 'current' order by 1",
            (periods.parse_period(period),),
        ).fetchall()
        assert [d for (d,) in current] == datasets
        loaded = conn.execute(
            "select count(*) from portal.uploads where upload_id::text = any(%s) and state = 'done' and batch_id "
            "is not null",
            ([where.rsplit("/", 1)[1] for where in locations],),
        ).fetchone()[0]
        assert loaded == 10
