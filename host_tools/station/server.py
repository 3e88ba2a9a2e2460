"""The station's web server: standard library only (ThreadingHTTPServer), a JSON API and the static app.

Login: the operator's name and the station passphrase (the registry's); a random session cookie (HttpOnly,
SameSite=Strict) follows. Every API call but login needs it; a state-changing call also needs the header
`X-Station: 1`, which another site's page cannot send without a CORS preflight this server never grants.
Nothing served holds a secret: token secrets stay in the registry and in the sync workers."""

import html
import json
import logging
import mimetypes
import secrets
import threading
import time
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from host_tools.errors import BzError
from host_tools.station import notice, store
from host_tools.station.service import Station

log = logging.getLogger("bztoken.station")
STATIC = Path(__file__).resolve().parent / "static"
I18N = Path(__file__).resolve().parent / "i18n.json"
SESSION_S = 12 * 3600
MAX_BODY = 64 << 20  # an exposure list of a few hundred thousand entries
COOKIE = "bzstation"


def translations() -> dict:
    return json.loads(I18N.read_text(encoding="utf-8"))


class Sessions:
    def __init__(self) -> None:
        self._s: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def new(self, who: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._s[sid] = (who, time.monotonic() + SESSION_S)
        return sid

    def who(self, sid: str | None) -> str | None:
        if not sid:
            return None
        with self._lock:
            v = self._s.get(sid)
            if v is None or v[1] < time.monotonic():
                self._s.pop(sid, None)
                return None
            return v[0]

    def drop(self, sid: str | None) -> None:
        with self._lock:
            self._s.pop(sid or "", None)


class StationServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], station: Station):
        self.station = station
        self.sessions = Sessions()
        self.login_lock = threading.Lock()
        self.i18n = translations()
        super().__init__(addr, Handler)


class Handler(BaseHTTPRequestHandler):
    server: StationServer
    server_version = "bztoken-station"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # the audit log records actions; per-request noise would only bury it

    # -- helpers ---------------------------------------------------------------------------------------
    def _sid(self) -> str | None:
        c = SimpleCookie(self.headers.get("Cookie") or "")
        m = c.get(COOKIE)
        return m.value if m else None

    def _send(self, code: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, obj, code: int = 200, extra: dict | None = None) -> None:
        self._send(code, json.dumps(obj, ensure_ascii=False).encode(), "application/json; charset=utf-8", extra)

    def _error(self, code: int, msg: str, hint: str | None = None) -> None:
        self._json({"error": msg, "hint": hint}, code)

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise BzError(f"request too large ({n} bytes)")
        raw = self.rfile.read(n) if n else b""
        try:
            obj = json.loads(raw or b"{}")
        except ValueError:
            raise BzError("the request is not JSON") from None
        if not isinstance(obj, dict):
            raise BzError("the request is not a JSON object")
        return obj

    def _static(self, name: str) -> None:
        p = (STATIC / name).resolve()
        if STATIC not in p.parents or not p.is_file():
            self._error(404, "not found")
            return
        ctype = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript"):
            ctype += "; charset=utf-8"
        self._send(200, p.read_bytes(), ctype)

    # -- dispatch --------------------------------------------------------------------------------------
    def do_GET(self):  # noqa: N802 - the base class's name
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        path, query = url.path, parse_qs(url.query)
        st = self.server.station
        try:
            if method == "GET" and path in ("/", "/index.html"):
                return self._static("index.html")
            if method == "GET" and path.startswith("/static/"):
                return self._static(path[len("/static/"):])
            if method == "GET" and path == "/favicon.ico":
                return self._send(204, b"", "image/x-icon")
            if method == "GET" and path == "/api/i18n":
                return self._json(self.server.i18n)
            if method == "POST" and path == "/api/login":
                return self._login()
            who = self.server.sessions.who(self._sid())
            if who is None:
                return self._error(401, "login required")
            if method == "POST" and self.headers.get("X-Station") != "1":
                return self._error(403, "missing X-Station header")
            if method == "GET":
                return self._get(st, who, path, query)
            return self._post(st, who, path)
        except BzError as e:
            return self._error(400, str(e).splitlines()[0], e.hint)
        except (BrokenPipeError, ConnectionResetError):
            return None
        except Exception as e:  # a bug or a broken database: one line in the station's log, a 500 to the page
            log.error("%s %s failed: %s: %s", method, path, type(e).__name__, str(e).splitlines()[0] if str(e) else "")
            return self._error(500, "internal error", "see the station's log")

    def _login(self) -> None:
        b = self._body()
        who = str(b.get("who") or "").strip()[:64]
        st = self.server.station
        if not who:
            return self._error(400, "login_who_missing")
        with self.server.login_lock:  # one try at a time, each failure costs half a second: no fast guessing
            ok = st.check_passphrase(str(b.get("passphrase") or ""))
            if not ok:
                st.audit(who, "login_failed", ip=self.client_address[0])
                time.sleep(0.5)
        if not ok:
            return self._error(401, "login_wrong")
        sid = self.server.sessions.new(who)
        st.audit(who, "login", ip=self.client_address[0])
        cookie = f"{COOKIE}={sid}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_S}"
        return self._json({"who": who}, extra={"Set-Cookie": cookie})

    def _get(self, st: Station, who: str, path: str, query: dict) -> None:
        if path == "/api/me":
            return self._json({"who": who})
        if path == "/api/state":
            return self._json({"ports": st.port_views(), "tokens": st.tokens_view(), "exposed": st.exposed(),
                               "lists": [{k: v for k, v in lst.items() if k != "path"} for lst in store.lists(st.db)],
                               "bad_lists": st.bad_lists, "now_ms": int(time.time() * 1000)})
        if path == "/api/wearers":
            return self._json({"wearers": st.wearers_view()})
        if path == "/api/audit":
            return self._json({"audit": store.audit_log(st.db)})
        if path.startswith("/notice/"):
            try:
                wid = int(path.rsplit("/", 1)[1])
            except ValueError:
                return self._error(404, "not found")
            lang = (query.get("lang") or ["en"])[0]
            page = notice.render(st, wid, self.server.i18n, lang)
            if page is None:
                return self._error(404, "no such wearer with a match")
            st.audit(who, "notice_printed", str(wid))
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        if path.startswith("/api/export/"):
            p = st.export_path(path.rsplit("/", 1)[1])
            st.audit(who, "export_downloaded", p.name)
            return self._send(200, p.read_bytes(), "application/json",
                              {"Content-Disposition": f'attachment; filename="{html.escape(p.name)}"'})
        return self._error(404, "not found")

    def _post(self, st: Station, who: str, path: str) -> None:
        b = self._body()
        if path == "/api/logout":
            self.server.sessions.drop(self._sid())
            st.audit(who, "logout")
            return self._json({"ok": True}, extra={"Set-Cookie": f"{COOKIE}=; Path=/; Max-Age=0"})
        if path == "/api/sync":
            st.resync(str(b.get("port") or ""), who)
            return self._json({"ok": True}, HTTPStatus.ACCEPTED)
        if path == "/api/lists":
            content = b.get("content")
            if not isinstance(content, str):
                raise BzError("no list content")
            return self._json(st.import_list(str(b.get("name") or "list.json"), content.encode(), who))
        if path == "/api/provision":
            return self._json(st.provision(str(b.get("port") or ""), str(b.get("name") or ""), b.get("ref"),
                                           b.get("phone"), who))
        if path == "/api/reassign":
            return self._json(st.reassign(str(b.get("token_id") or ""), str(b.get("name") or ""), b.get("ref"),
                                          who))
        if path == "/api/retire":
            return self._json(st.retire(str(b.get("token_id") or ""), who))
        if path == "/api/export":
            try:
                d0, d1 = int(b.get("day_from")), int(b.get("day_to"))
            except (TypeError, ValueError):
                raise BzError("export days must be UTC day numbers") from None
            st.export_keys(str(b.get("port") or ""), d0, d1, str(b.get("confirm") or ""), who)
            return self._json({"ok": True}, HTTPStatus.ACCEPTED)
        if path == "/api/ble/scan":
            return self._json(st.ble_scan(who))
        return self._error(404, "not found")


def serve(station: Station, host: str = "127.0.0.1", port: int = 8080) -> StationServer:
    """A bound server (port 0: any free one; see .server_address); call serve_forever() on it."""
    return StationServer((host, port), station)
