"""The departments' portal: log in, see the month's calendar, upload, read the answer, fix, resubmit.

FastAPI, pages rendered on the server from report/templates/portal (Jinja2, the same
environment as the reports), every style served from portal/static: no CDN, no script
needed. Uploads go through the one ingest path in worker processes (jobs.py). What a
clerk reads is read as the department's warehouse role (web.Portal.reading_as), so a
guessed URL is refused by the application and by row-level security both.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from cityops import periods
from cityops.contracts import all_contracts
from cityops.errors import SystemFailure, UsageError
from cityops.extract.sniff import CSV_SUFFIXES, XLS_SUFFIXES, XLSX_SUFFIXES, max_file_bytes
from cityops.load.access import grant_portal_access
from cityops.load.files import private_folder, safe_name
from cityops.portal import accounts, views
from cityops.portal.jobs import Runner
from cityops.portal.web import (
    CSP,
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Portal,
    Redirect,
    Refused,
    after,
    audit,
    check_csrf,
    current_session,
    inside,
    local_target,
    new_token,
    page,
    redirect,
    require,
)
from cityops.report.calendar import STATE_WORDS
from cityops.settings import Home

log = logging.getLogger("cityops.portal")
STATIC = Path(__file__).resolve().parent / "static"
ACCEPTED = XLSX_SUFFIXES | XLS_SUFFIXES | CSV_SUFFIXES
NO_FILE = File(None)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def create_app(home: Home, conninfo: str, secret: str, *, workers: int = 2, secure_cookies: bool = False) -> FastAPI:
    portal = Portal(home, conninfo, secret, secure_cookies)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with portal.db() as conn:
            grant_portal_access(conn)
        app.state.runner = Runner(conninfo, workers)
        app.state.runner.warm_up()
        app.state.runner.resume()  # what a stopped portal left queued or under way
        yield
        app.state.runner.shutdown()

    app = FastAPI(title="cityops portal", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.method == "POST" and request.url.path == "/upload":
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return page(request, "message.html", status=411, title="411", message_key="no_file", values={})
            if int(length) > max_file_bytes() + (1 << 20):
                mb = max_file_bytes() >> 20
                return page(request, "message.html", status=413, title="413", message_key="too_large",
                            values={"mb": mb})  # fmt: skip
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(Redirect)
    async def on_redirect(request: Request, exc: Redirect):
        return redirect(exc.url)

    @app.exception_handler(Refused)
    async def on_refused(request: Request, exc: Refused):
        return page(request, "message.html", status=exc.status, title=str(exc.status), message_key=exc.key,
                    values=exc.values)  # fmt: skip

    @app.exception_handler(SystemFailure)
    async def on_failure(request: Request, exc: SystemFailure):
        log.error("portal: %s", exc)
        return page(request, "message.html", status=503, title="503", message_key="try_later",
                    values={"detail": str(exc).split(". ")[0]})  # fmt: skip

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with portal.db() as conn:
            conn.execute("select 1")
        return {"status": "ok"}

    @app.get("/lang")
    def switch_language(to: str = "zh", next: str = "/") -> Response:
        response = redirect(local_target(next))
        response.set_cookie(LANG_COOKIE, "en" if to == "en" else "zh", max_age=365 * 86400, samesite="strict",
                            httponly=True)  # fmt: skip
        return response

    # --- logging in and out ------------------------------------------------------------------

    @app.get("/login")
    def login_form(request: Request, next: str = "/") -> Response:
        login_token = new_token()
        response = page(request, "login.html", csrf=login_token, error=None, next=local_target(next))
        portal.set_cookie(response, LOGIN_COOKIE, portal.sign(login_token), 3600)
        return response

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form(""),
              next: str = Form("/")) -> Response:  # fmt: skip
        check_csrf(portal.unsign(request.cookies.get(LOGIN_COOKIE), 3600), csrf)
        username, target = username.strip(), local_target(next)
        with portal.db() as conn:
            account, verdict = accounts.authenticate(conn, username, password)
            audit(conn, account, f"login_{verdict}", username=username[:64])
            if verdict != "ok":
                key = {"locked": "login_locked", "disabled": "login_disabled"}.get(verdict, "login_wrong")
                login_token = new_token()
                response = page(request, "login.html", status=401, csrf=login_token, error=(key, accounts.LOCK_MINUTES),
                                next=target)  # fmt: skip
                portal.set_cookie(response, LOGIN_COOKIE, portal.sign(login_token), 3600)
                return response
            session_token = accounts.open_session(conn, account.username)
        response = redirect(after("/password", target) if account.must_change else target)
        portal.set_cookie(response, SESSION_COOKIE, portal.sign(session_token), accounts.SESSION_HOURS * 3600)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        with portal.db() as conn:
            found = current_session(portal, conn, request)
            if found is not None:
                check_csrf(found.csrf_token, csrf)
                accounts.close_session(conn, found.token_sha256)
                audit(conn, found.account, "logout")
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/password")
    def password_form(request: Request, next: str = "/") -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request, allow_must_change=True)
        return page(request, "password.html", session=found, error=None, min_length=accounts.MIN_PASSWORD,
                    next=local_target(next))  # fmt: skip

    @app.post("/password")
    def change_password(request: Request, current: str = Form(""), new: str = Form(""), again: str = Form(""),
                        csrf: str = Form(""), next: str = Form("/")) -> Response:  # fmt: skip
        with portal.db() as conn:
            found = require(portal, conn, request, allow_must_change=True)
            check_csrf(found.csrf_token, csrf)
            error = None
            if not accounts.verify_password(conn, found.account.username, current):
                error = "password_wrong"
            elif new != again:
                error = "password_mismatch"
            elif len(new) < accounts.MIN_PASSWORD:
                error = "password_short"
            elif new == current:
                error = "password_same"
            if error:
                return page(request, "password.html", session=found, status=400, error=error,
                            min_length=accounts.MIN_PASSWORD, next=local_target(next))  # fmt: skip
            accounts.change_password(conn, found.account.username, new)
            audit(conn, found.account, "password_changed")
        return redirect(local_target(next))

    # --- the calendar, the upload, the answer ------------------------------------------------

    @app.get("/")
    def home_page(request: Request, until: str = "") -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request)
            with portal.reading_as(conn, found.account) as reader:
                rows = views.calendar(reader, found.account.department, views.calendar_until(until))
        return page(request, "calendar.html", session=found, states=STATE_WORDS, **rows)

    @app.get("/upload")
    def upload_form(request: Request, dataset: str = "", period: str = "") -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request)
        return page(request, "upload.html", session=found, error=None, **views.upload_choices(found.account,
                    dataset, period))  # fmt: skip

    @app.post("/upload")
    def upload(request: Request, dataset: str = Form(""), period: str = Form(""), csrf: str = Form(""),
               file: UploadFile | None = NO_FILE) -> Response:  # fmt: skip
        with portal.db() as conn:
            found = require(portal, conn, request)
            check_csrf(found.csrf_token, csrf)

            def again(key: str, status: int = 400, **values: Any) -> Response:
                return page(request, "upload.html", session=found, status=status, error=(key, values),
                            **views.upload_choices(found.account, dataset, period))  # fmt: skip

            contract = all_contracts().get(dataset)
            if contract is None or contract.department != found.account.department:
                audit(conn, found.account, "upload_refused", target=dataset[:64], reason="not_yours")
                raise Refused(403, "not_yours")
            try:
                month = periods.parse_period(period)
            except UsageError:
                return again("bad_period")
            if file is None or not file.filename:
                return again("no_file")
            name = safe_name(file.filename)
            if Path(name).suffix.lower() not in ACCEPTED:
                return again("wrong_type", name=name)
            upload_id = str(uuid.uuid4())
            folder = private_folder(portal.home.root / "portal" / "uploads", dataset, periods.period_text(month),
                                    upload_id)  # fmt: skip
            kept = folder / name
            digest, size, limit = hashlib.sha256(), 0, max_file_bytes()
            with kept.open("wb") as out:
                while block := file.file.read(1 << 20):
                    size += len(block)
                    if size > limit:
                        break
                    digest.update(block)
                    out.write(block)
            if size > limit:
                kept.unlink()
                return again("too_large", status=413, mb=limit >> 20)
            conn.execute(
                "insert into portal.uploads (upload_id, username, department, dataset, period, file_name, "
                "file_sha256, size_bytes, kept_file, state, step) "
                "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'queued', 'queued:0')",
                (upload_id, found.account.username, found.account.department, dataset, month, name,
                 digest.hexdigest(), size, str(kept)),
            )  # fmt: skip
            audit(conn, found.account, "upload", target=upload_id, dataset=dataset, period=periods.period_text(month),
                  bytes=size, sha256=digest.hexdigest())  # fmt: skip
        request.app.state.runner.submit(upload_id, kept, dataset, periods.period_text(month))
        return redirect(f"/uploads/{upload_id}")

    def _upload(conn, found, upload_id: str) -> dict[str, Any]:
        try:
            uuid.UUID(upload_id)
        except ValueError:
            raise Refused(404, "not_found") from None
        with portal.reading_as(conn, found.account) as reader:
            row = views.upload(reader, upload_id)
        if row is None:  # not there, or not theirs: the warehouse did not show it
            exists = conn.execute("select 1 from portal.uploads where upload_id = %s", (upload_id,)).fetchone()
            if exists:
                audit(conn, found.account, "refused", target=upload_id)
            raise Refused(403 if exists else 404, "not_yours" if exists else "not_found")
        if row["department"] != found.account.department and not found.account.is_admin:
            raise Refused(403, "not_yours")
        return row

    @app.get("/uploads/{upload_id}")
    def answer(request: Request, upload_id: str, only: str = "") -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request)
            row = _upload(conn, found, upload_id)
        if row["state"] in ("queued", "running"):
            return page(request, "progress.html", session=found, upload=row, step=(row["step"] or "queued:0"))
        return page(request, "answer.html", session=found, upload=row, only_errors=only == "errors",
                    **views.answer_view(row))  # fmt: skip

    def _download(request: Request, upload_id: str, what: str) -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request)
            row = _upload(conn, found, upload_id)
            answer_data = row["answer"] or {}
            path = {
                "problems": answer_data.get("problems_file"),
                "marked": answer_data.get("marked_copy"),
                "original": row["kept_file"],
            }[what]
            target = inside(path, portal.home.root)
            if target is None:
                raise Refused(404, "not_found")
            audit(conn, found.account, f"download_{what}", target=upload_id)
        return FileResponse(target, filename=target.name, media_type=XLSX if target.suffix == ".xlsx" else None)

    @app.get("/uploads/{upload_id}/problems.xlsx")
    def download_problems(request: Request, upload_id: str) -> Response:
        return _download(request, upload_id, "problems")

    @app.get("/uploads/{upload_id}/marked.xlsx")
    def download_marked(request: Request, upload_id: str) -> Response:
        return _download(request, upload_id, "marked")

    @app.get("/uploads/{upload_id}/original")
    def download_original(request: Request, upload_id: str) -> Response:
        return _download(request, upload_id, "original")

    # --- history and reports -----------------------------------------------------------------

    @app.get("/history/{dataset}/{period}")
    def history(request: Request, dataset: str, period: str) -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request)
            contract = all_contracts().get(dataset)
            if contract is None:
                raise Refused(404, "not_found")
            if contract.department != found.account.department and not found.account.is_admin:
                audit(conn, found.account, "refused", target=f"history/{dataset}")
                raise Refused(403, "not_yours")
            try:
                month = periods.parse_period(period)
            except UsageError:
                raise Refused(404, "not_found") from None
            with portal.reading_as(conn, found.account) as reader:
                versions = views.history(reader, dataset, month)
        return page(request, "history.html", session=found, contract=contract, period=periods.period_text(month),
                    versions=versions)  # fmt: skip

    def _batch(conn, found, batch_id: str) -> dict[str, Any]:
        try:
            uuid.UUID(batch_id)
        except ValueError:
            raise Refused(404, "not_found") from None
        with portal.reading_as(conn, found.account) as reader:
            row = views.batch(reader, batch_id)
        if row is None:
            exists = conn.execute("select 1 from audit.ingest_batches where batch_id = %s", (batch_id,)).fetchone()
            if exists:
                audit(conn, found.account, "refused", target=batch_id)
            raise Refused(403 if exists else 404, "not_yours" if exists else "not_found")
        return row

    @app.get("/batches/{batch_id}/report")
    def batch_report(request: Request, batch_id: str) -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request)
            row = _batch(conn, found, batch_id)
            if row["upload_id"]:
                return redirect(f"/uploads/{row['upload_id']}")
            report = inside(Path(row["report_folder"]) / "report.html" if row["report_folder"] else None,
                            portal.home.root)  # fmt: skip
            if report is None:
                return redirect(f"/history/{row['dataset']}/{row['period']:%Y-%m}")
            audit(conn, found.account, "download_report", target=batch_id)
        response = HTMLResponse(report.read_text(encoding="utf-8"))
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response

    @app.get("/batches/{batch_id}/original")
    def batch_original(request: Request, batch_id: str) -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request)
            row = _batch(conn, found, batch_id)
            target = inside(row["stored_file"], portal.home.root) or inside(row["source_file"], portal.home.root)
            if target is None:
                raise Refused(404, "not_found")
            audit(conn, found.account, "download_original", target=batch_id)
        return FileResponse(target, filename=target.name)

    # --- the operations centre ---------------------------------------------------------------

    @app.get("/overview")
    def overview(request: Request, period: str = "") -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request, admin=True)
            month = views.overview_month(period)
            with portal.reading_as(conn, found.account) as reader:
                data = views.overview(reader, month)
        return page(request, "overview.html", session=found, states=STATE_WORDS, **data)

    @app.get("/overview.xlsx")
    def overview_export(request: Request, period: str = "") -> Response:
        with portal.db() as conn:
            found = require(portal, conn, request, admin=True)
            month = views.overview_month(period)
            with portal.reading_as(conn, found.account) as reader:
                data = views.overview(reader, month)
            audit(conn, found.account, "export_overview", target=periods.period_text(month))
        body = views.overview_workbook(data)
        name = f"overview-{periods.period_text(month)}.xlsx"
        return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return app
