"""The station's web server: Starlette on uvicorn (HTTP/1.1, keep-alive), a JSON API and the static, no-build app.

Every request passes `Guard` first, before any byte of its body is read:
- Content-Length must be digits and one value (uvicorn's parsers already answer 400 to a negative or non-numeric
  length: llhttp through httptools, HPE_INVALID_CONTENT_LENGTH; h11, h11/_headers.py `_content_length_re =
  rb"[0-9]+"`; the guard says the same in JSON for any server in front); a body over the route's limit gets 413
  on its declared length; a chunked body is counted as it arrives and cut at the limit.
- A state-changing call from a page of another origin (Origin or Sec-Fetch-Site) is refused (403); a Host that is
  not an address or localhost (DNS rebinding) is refused (400).
Then the route: every API call but login needs the session cookie (HttpOnly, SameSite=Strict), and every
state-changing call also the session's CSRF token in the `X-CSRF-Token` header (given at login and by /api/me).
Login is limited per client address: after a few wrong passphrases, a lockout that doubles with each further one.
Exposure lists arrive as a multipart file, streamed to disk (python-multipart through Starlette), never whole in
memory. Every answer a worker may read is a catalogue key and its arguments (host_tools.station.i18n)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from host_tools.errors import BzError
from host_tools.station import i18n, notice, store
from host_tools.station.i18n import StationError
from host_tools.station.service import Station

log = logging.getLogger("bztoken.station")
STATIC = Path(__file__).resolve().parent / "static"
SESSION_S = 12 * 3600
MAX_JSON = 64 << 10  # a form's fields
MAX_UPLOAD = (64 << 20) + (64 << 10)  # an exposure list of 64 MiB (half a million entries) and its form envelope
COOKIE = "bzstation"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UPLOAD_ROUTES = frozenset({"/api/lists"})
FREE_TRIES = 3  # wrong passphrases before the first lockout (a typo or two is normal)
LOCK_BASE_S = 5.0  # first lockout; each further failure doubles it
LOCK_MAX_S = 3600.0
FAIL_DELAY_S = 0.3  # every wrong passphrase also waits this long
STATE_TTL_S = 0.25  # /api/state is built at most this often, whatever the number of pages asking
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; style-src 'self'; img-src 'self' data:"),
]


def translations() -> dict:
    return i18n.catalogue()


def _err(key: str, status: int, close: bool = False, **args) -> JSONResponse:
    """A refusal as a catalogue key. `close`: the body was not read, so the connection ends with the answer
    (uvicorn closes it once h11 has sent a `Connection: close` response; otherwise it would go on to read and
    discard the body to keep the connection alive, uvicorn/protocols/http/h11_impl.py on_response_complete)."""
    return JSONResponse({"error": key, "args": args, "message": i18n.text(key, "en", **args)}, status,
                        headers={"Connection": "close"} if close else None)


# -- sessions and login limits -----------------------------------------------------------------------------
@dataclass
class Session:
    who: str
    expires: float
    csrf: str
    want_gen: int = 0  # the state generation this session's page must see (after its own change)


class Sessions:
    def __init__(self) -> None:
        self._s: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self, who: str) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        s = Session(who, time.monotonic() + SESSION_S, secrets.token_urlsafe(32))
        with self._lock:
            now = time.monotonic()
            for k in [k for k, v in self._s.items() if v.expires < now]:
                del self._s[k]
            self._s[sid] = s
        return sid, s

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            s = self._s.get(sid)
            if s is None or s.expires < time.monotonic():
                self._s.pop(sid, None)
                return None
            return s

    def who(self, sid: str | None) -> str | None:
        s = self.get(sid)
        return s.who if s else None

    def drop(self, sid: str | None) -> None:
        with self._lock:
            self._s.pop(sid or "", None)


class LoginLimiter:
    """Per client address: FREE_TRIES wrong passphrases, then a lockout of LOCK_BASE_S that doubles with every
    further wrong one (up to LOCK_MAX_S). A right passphrase clears the address. At most `keep` addresses are
    remembered (the oldest forgotten first), so a flood of addresses cannot fill memory."""

    def __init__(self, clock=time.monotonic, keep: int = 10_000):
        self._clock = clock
        self._keep = keep
        self._s: OrderedDict[str, tuple[int, float]] = OrderedDict()  # client -> (failures, locked until)
        self._lock = threading.Lock()

    def locked_for(self, client: str) -> float:
        with self._lock:
            _n, until = self._s.get(client, (0, 0.0))
        return max(0.0, until - self._clock())

    def failed(self, client: str) -> float:
        """Record a failure; the lockout (seconds) it starts, 0 for none."""
        with self._lock:
            n, _ = self._s.pop(client, (0, 0.0))
            n += 1
            lock = 0.0 if n < FREE_TRIES else min(LOCK_MAX_S, LOCK_BASE_S * 2 ** (n - FREE_TRIES))
            self._s[client] = (n, self._clock() + lock)
            while len(self._s) > self._keep:
                self._s.popitem(last=False)
        return lock

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._s.pop(client, None)


# -- the guard: lengths, limits, origins, headers ----------------------------------------------------------
class BodyTooLarge(Exception):
    pass


def _host_ok(host: str) -> bool:
    """The Host header names this computer by address (or as localhost), never by another name: a page of another
    site whose name was made to resolve to this computer (DNS rebinding) is refused before anything runs."""
    import ipaddress

    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """Pure ASGI middleware (it must act before Starlette reads a body)."""

    def __init__(self, app, max_json: int = MAX_JSON, max_upload: int = MAX_UPLOAD):
        self.app, self.max_json, self.max_upload = app, max_json, max_upload

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_secure(msg):
            if msg["type"] == "http.response.start":
                msg = dict(msg, headers=[*msg.get("headers", []), *SECURITY_HEADERS])
            await send(msg)

        h = Headers(scope=scope)
        method, path = scope["method"], scope["path"]
        if not _host_ok(h.get("host", "")):  # DNS rebinding: another site's name pointed at this computer
            log.warning("refused a request for host %r", h.get("host", ""))
            return await _err("e_bad_host", 400, close=True)(scope, receive, send_secure)
        limit = self.max_upload if path in UPLOAD_ROUTES else self.max_json
        lengths = h.getlist("content-length")
        if lengths:
            v = lengths[0].strip()
            if len(set(lengths)) > 1 or not (v.isascii() and v.isdigit()):
                return await _err("e_bad_length", 400, close=True)(scope, receive, send_secure)
            if int(v) > limit:
                return await _err("e_too_large", 413, close=True, limit_mb=max(1, limit >> 20))(
                    scope, receive, send_secure)
        if method in UNSAFE:
            origin = h.get("origin")
            host = h.get("host", "")
            if (origin is not None and origin != f"http://{host}") or h.get("sec-fetch-site") == "cross-site":
                log.warning("refused a %s %s from origin %s", method, path, origin)
                return await _err("e_origin", 403, close=True)(scope, receive, send_secure)
        got = 0

        async def counted():
            nonlocal got
            msg = await receive()
            if msg["type"] == "http.request":
                got += len(msg.get("body", b""))
                if got > limit:
                    raise BodyTooLarge
            return msg

        await self.app(scope, counted, send_secure)


# -- the application ---------------------------------------------------------------------------------------
class StationApp:
    def __init__(self, station: Station, *, limiter: LoginLimiter | None = None, max_upload: int = MAX_UPLOAD):
        self.station = station
        self.sessions = Sessions()
        self.limiter = limiter or LoginLimiter()
        self.i18n = translations()
        self._state: tuple[float, bytes, int] | None = None  # (built at, body, generation)
        self._state_lock = threading.Lock()
        self._gen = 0  # bumped by every change made through this server
        self._building = False
        self._bg: set = set()
        api = [
            Route("/api/i18n", self.get_i18n, methods=["GET"]),
            Route("/api/login", self.login, methods=["POST"]),
            Route("/api/me", self._api(self.me), methods=["GET"]),
            Route("/api/state", self._api(self.state, raw=True), methods=["GET"]),  # async: no thread hop
            Route("/api/wearers", self._api(lambda r, s: {"wearers": self.station.wearers_view()}), methods=["GET"]),
            Route("/api/audit", self._api(self.audit), methods=["GET"]),
            Route("/api/settings", self._api(self.get_settings), methods=["GET"]),
            Route("/api/settings", self._api(self.set_settings), methods=["POST"]),
            Route("/api/logout", self._api(self.logout), methods=["POST"]),
            Route("/api/sync", self._api(self.sync), methods=["POST"]),
            Route("/api/lists", self._api(self.upload_list, upload=True), methods=["POST"]),
            Route("/api/provision", self._api(self.provision), methods=["POST"]),
            Route("/api/reassign", self._api(self.reassign), methods=["POST"]),
            Route("/api/retire", self._api(self.retire), methods=["POST"]),
            Route("/api/export", self._api(self.export), methods=["POST"]),
            Route("/api/export/{name}", self._api(self.download, raw=True), methods=["GET"]),
            Route("/api/ble/scan", self._api(self.ble_scan), methods=["POST"]),
            Route("/notice/{wid}", self._api(self.notice, raw=True), methods=["GET"]),
        ]
        routes = [
            Route("/", self.index, methods=["GET", "HEAD"]),
            Route("/index.html", self.index, methods=["GET", "HEAD"]),
            Route("/favicon.ico", lambda r: Response(status_code=204), methods=["GET"]),
            *api,
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ]
        app = Starlette(routes=routes)
        app.add_exception_handler(404, lambda r, e: _err("e_not_found", 404))
        app.add_exception_handler(405, lambda r, e: _err("e_not_found", 405))
        self.asgi = Guard(app, max_upload=max_upload)

    # -- plumbing ------------------------------------------------------------------------------------------
    @staticmethod
    def _client(request: Request) -> str:
        return request.client.host if request.client else "?"

    def _api(self, fn, raw: bool = False, upload: bool = False):
        """An endpoint that needs a session (and, when it changes state, the CSRF token); `fn(request,
        session)` runs in the thread pool (the station's work blocks: SQLite, serial ports) unless it is a
        coroutine function. JSON bodies are parsed here; errors become catalogue keys."""
        is_async = asyncio.iscoroutinefunction(fn)

        async def endpoint(request: Request):
            s = self.sessions.get(request.cookies.get(COOKIE))
            if s is None:
                return _err("e_login_required", 401)
            unsafe = request.method in UNSAFE
            if unsafe and not hmac.compare_digest(request.headers.get(CSRF_HEADER, "").encode(), s.csrf.encode()):
                return _err("e_csrf", 403)
            try:
                if unsafe and not upload:
                    raw_body = await request.body()
                    try:
                        body = json.loads(raw_body or b"{}")
                    except ValueError:
                        return _err("e_not_json", 400)
                    if not isinstance(body, dict):
                        return _err("e_not_json", 400)
                    request.state.body = body
                out = await fn(request, s) if is_async else await run_in_threadpool(fn, request, s)
                if unsafe:
                    self._gen += 1  # this page's next refresh shows what this call changed; the others'
                    s.want_gen = self._gen  # soon after (stale while rebuilt), without waiting for it
            except BodyTooLarge:
                return _err("e_too_large", 413, close=True, limit_mb=(MAX_UPLOAD if upload else MAX_JSON) >> 20 or 1)
            except StationError as e:
                return JSONResponse(e.payload(), e.status)
            except BzError as e:
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                return JSONResponse({"error": "e_failed", "args": {"detail": msg}, "message": msg}, 400)
            except Exception as e:  # a bug or a broken database: one line in the station's log, a 500 to the page
                log.error("%s %s failed: %s: %s", request.method, request.url.path, type(e).__name__,
                          str(e).splitlines()[0] if str(e) else "")
                return _err("e_internal", 500)
            if raw:
                return out
            return JSONResponse(out, 202 if request.url.path in ("/api/sync", "/api/export") else 200)

        return endpoint

    # -- public --------------------------------------------------------------------------------------------
    async def index(self, request: Request):
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    async def get_i18n(self, request: Request):
        return JSONResponse(self.i18n)

    async def login(self, request: Request):
        client = self._client(request)
        try:
            b = json.loads(await request.body() or b"{}")
        except BodyTooLarge:
            return _err("e_too_large", 413, close=True, limit_mb=1)
        except ValueError:
            return _err("e_not_json", 400)
        if not isinstance(b, dict):
            return _err("e_not_json", 400)
        who = str(b.get("who") or "").strip()[:64]
        if not who:
            return _err("login_who_missing", 400)
        st = self.station
        wait = self.limiter.locked_for(client)
        if wait > 0:
            await run_in_threadpool(st.audit, who, "login_locked", None, ip=client, seconds=round(wait))
            return _err("login_locked", 429, seconds=max(1, round(wait)))
        if not st.check_passphrase(str(b.get("passphrase") or "")):
            lock = self.limiter.failed(client)
            await run_in_threadpool(st.audit, who, "login_failed", None, ip=client,
                                    **({"lockout_s": round(lock)} if lock else {}))
            await asyncio.sleep(FAIL_DELAY_S)
            if lock:
                return _err("login_locked", 429, seconds=round(lock))
            return _err("login_wrong", 401)
        self.limiter.succeeded(client)
        sid, s = self.sessions.new(who)
        await run_in_threadpool(st.audit, who, "login", None, ip=client)
        r = JSONResponse({"who": who, "csrf": s.csrf})
        r.set_cookie(COOKIE, sid, max_age=SESSION_S, path="/", httponly=True, samesite="strict")
        return r

    # -- with a session ------------------------------------------------------------------------------------
    def me(self, request: Request, s: Session) -> dict:
        return {"who": s.who, "csrf": s.csrf, "settings": store.settings(self.station.db)}

    async def state(self, request: Request, s: Session) -> Response:
        """The page's view of everything. Built in the thread pool at most every STATE_TTL_S for all pages together;
        meanwhile pages get the last one at once (stale while it is rebuilt: a page refreshes every second). After
        a change through this server (a POST) the next answer waits for a fresh build."""
        cached = self._state
        if cached is None or cached[2] < s.want_gen:  # this page changed something: it waits to see it
            body = await run_in_threadpool(self._build_state, s.want_gen)
        else:
            stale = time.monotonic() - cached[0] > STATE_TTL_S or cached[2] < self._gen
            if stale and not self._building:
                self._building = True
                self._bg.add(t := asyncio.ensure_future(self._rebuild()))
                t.add_done_callback(self._bg.discard)
            body = cached[1]
        return Response(body, media_type="application/json")

    async def _rebuild(self) -> None:
        try:
            await run_in_threadpool(self._build_state, self._gen)
        except Exception as e:  # the next request tries again; the pages keep the last view meanwhile
            log.error("building the station state failed: %s: %s", type(e).__name__, e)
        finally:
            self._building = False

    def _build_state(self, gen: int) -> bytes:
        with self._state_lock:  # one builder; others wanting the same generation take its answer
            cached = self._state
            if cached is not None and cached[2] >= gen and time.monotonic() - cached[0] <= STATE_TTL_S:
                return cached[1]
            now_gen = self._gen  # what the build will include at least
            body = json.dumps(self.station.state_view(), ensure_ascii=False).encode()
            self._state = (time.monotonic(), body, now_gen)
            return body

    def audit(self, request: Request, s: Session) -> dict:
        return {"audit": store.audit_log(self.station.db)}

    def get_settings(self, request: Request, s: Session) -> dict:
        return store.settings(self.station.db)

    def set_settings(self, request: Request, s: Session) -> dict:
        return self.station.save_settings(request.state.body, s.who)

    def logout(self, request: Request, s: Session):
        self.sessions.drop(request.cookies.get(COOKIE))
        self.station.audit(s.who, "logout")
        r = JSONResponse({"ok": True})
        r.delete_cookie(COOKIE, path="/")
        return r

    def sync(self, request: Request, s: Session) -> dict:
        self.station.resync(str(request.state.body.get("port") or ""), s.who)
        return {"ok": True}

    async def upload_list(self, request: Request, s: Session) -> dict:
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise StationError("e_list_not_file")
        form = await request.form(max_files=1, max_fields=4, max_part_size=4096)
        try:
            f = form.get("file")
            if not isinstance(f, UploadFile):
                raise StationError("e_list_not_file")
            return await run_in_threadpool(self.station.import_list_file, f.filename or "list.json", f.file, s.who)
        finally:
            await form.close()

    def provision(self, request: Request, s: Session) -> dict:
        b = request.state.body
        return self.station.provision(str(b.get("port") or ""), str(b.get("name") or ""), b.get("ref"),
                                      b.get("phone"), s.who)

    def reassign(self, request: Request, s: Session) -> dict:
        b = request.state.body
        return self.station.reassign(str(b.get("token_id") or ""), str(b.get("name") or ""), b.get("ref"), s.who)

    def retire(self, request: Request, s: Session) -> dict:
        return self.station.retire(str(request.state.body.get("token_id") or ""), s.who)

    def export(self, request: Request, s: Session) -> dict:
        b = request.state.body
        try:
            d0, d1 = int(b.get("day_from")), int(b.get("day_to"))
        except (TypeError, ValueError):
            raise StationError("e_export_days_bad") from None
        self.station.export_keys(str(b.get("port") or ""), d0, d1, str(b.get("confirm") or ""), s.who)
        return {"ok": True}

    def download(self, request: Request, s: Session) -> Response:
        p = self.station.export_path(request.path_params["name"])
        self.station.audit(s.who, "export_downloaded", p.name)
        return Response(p.read_bytes(), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{p.name}"'})

    def ble_scan(self, request: Request, s: Session) -> dict:
        return self.station.ble_scan(s.who)

    def notice(self, request: Request, s: Session) -> Response:
        try:
            wid = int(request.path_params["wid"])
        except ValueError:
            return _err("e_not_found", 404)
        lang = i18n.lang_of(request.query_params.get("lang"))
        page = notice.render(self.station, wid, self.i18n, lang)
        if page is None:
            return _err("e_no_notice", 404)
        self.station.audit(s.who, "notice_printed", str(wid), lang=lang)
        return Response(page, media_type="text/html; charset=utf-8")


# -- running it --------------------------------------------------------------------------------------------
class StationServer:
    """uvicorn serving a StationApp on a socket bound at construction (port 0: any free port; see
    .server_address). `serve_forever()` blocks; `shutdown()` from another thread (or a signal) stops it."""

    def __init__(self, addr: tuple[str, int], station: Station, backlog: int = 1024, **app_kw):
        import uvicorn

        self.station = station
        self.app = StationApp(station, **app_kw)
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.socket = socket.socket(fam, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(addr)
            self.socket.listen(backlog)  # the standard library's server had 5
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()[:2]
        # httptools (llhttp, C) when installed, else h11: both answer 400 to a malformed Content-Length themselves
        self.config = uvicorn.Config(self.app.asgi, http="auto", lifespan="off", access_log=False, log_level="warning",
                                     timeout_keep_alive=15, server_header=False, date_header=True,
                                     backlog=backlog)
        self.uvicorn = uvicorn.Server(self.config)
        self._running, self._done = threading.Event(), threading.Event()

    @property
    def sessions(self) -> Sessions:
        return self.app.sessions

    def serve_forever(self, poll_interval: float = 0.5) -> None:  # noqa: ARG002 - the old server's signature
        self._running.set()
        try:
            self.uvicorn.run(sockets=[self.socket])
        finally:
            self._done.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop serving (requests in hand finish) and wait until it has stopped."""
        self.uvicorn.should_exit = True
        if self._running.is_set():
            self._done.wait(timeout)

    def server_close(self) -> None:
        self.socket.close()


def serve(station: Station, host: str = "127.0.0.1", port: int = 8080, **kw) -> StationServer:
    """A bound server (port 0: any free one; see .server_address); call serve_forever() on it."""
    return StationServer((host, port), station, **kw)
