"""Shared by the station tests: a registry with one wearer's token, a token on a pty holding a known
encounter, a running station on a free port, and an exposure list that matches that encounter."""

import contextlib
import http.client
import json
import threading
import time

from bzfw import adv, ids, records, wire
from host_tools.station.server import serve
from host_tools.station.service import Station
from host_tools.sync.ptytoken import PtyToken, TokenCtx
from provisioning.registry import Registry

PW = "station pass phrase"
SECRET = bytes(range(7, 39))
POSITIVE_KEY = bytes(range(200, 232))  # the daily key of a person later reported positive
TOKEN = "BZ-TEST-0001"


def registry(db, token_id=TOKEN, secret=SECRET, name="Nguyễn Văn An", ref="W-1"):
    with Registry(db, PW, kdf_n=2**10) as reg:
        wid = reg.add_wearer(name, ref, "0912 345 678")
        reg.add_token(token_id, secret, wid, None, "always-on")
        reg.mark_provisioned(token_id)


def exposure_time_ms() -> int:
    """A slot start two hours ago (same UTC day as its records, whatever the hour)."""
    return ids.slot_start_ms(int(time.time() * 1000) - 2 * 3600_000)


def encounter_records(t_ms: int, minutes: int = 10, others: int = 5) -> tuple[int, list[bytes]]:
    """(day, records): the positive person's ID heard for `minutes` near by, plus unrelated contacts."""
    day = ids.day_of(t_ms)
    slot = ids.slot_of(t_ms)
    cid = ids.daily_id_at(POSITIVE_KEY, t_ms)
    first, last = t_ms + 30_000, t_ms + 30_000 + minutes * 60_000
    recs = [records.encode(day, slot, adv.KIND_ANDROID, cid, first, last, minutes * 4, -70, -50, -58)]
    for i in range(others):
        other = bytes([0x30 + i % 200, i // 200]) * 6
        recs.append(records.encode(day, slot, adv.KIND_ANDROID, other, first, first + 60_000, 3, -90, -80, -85))
    return day, recs


def exposure_list(t_ms: int) -> dict:
    from host_tools.match.exposures import keys_to_push_entries

    return keys_to_push_entries([(ids.day_of(t_ms), POSITIVE_KEY)])


@contextlib.contextmanager
def pty_token(root, token_id=TOKEN, secret=SECRET, with_records=True, others=5, baud=None):
    """`baud`: answers take as long as on a real UART at that rate (10 bits a byte)."""
    ctx = TokenCtx(str(root), token_id, secret)
    if with_records:
        day, recs = encounter_records(exposure_time_ms(), others=others)
        ctx.logstore.append(day, recs)
    tok = PtyToken(ctx)
    if baud:
        feed = tok.server.feed

        def slow(data):
            out = feed(data)
            time.sleep(len(out) * 10 / baud)
            return out

        tok.server.feed = slow
    try:
        yield tok
    finally:
        tok.close()


def cut_on_second_read(tok: PtyToken) -> None:
    """Pull the token's cable when the station asks for the second chunk of its log (half-way)."""
    real_feed, requests, reads = tok.server.feed, wire.Decoder(), set()

    def feed(data):
        reads.update(f.seq for f in requests.feed(data) if f.cmd == wire.READ)  # a resend has the same seq
        if len(reads) >= 2:
            tok.kill()
            return b""
        return real_feed(data)

    tok.server.feed = feed


@contextlib.contextmanager
def running_station(db, server_kw=None, **kw):
    kw.setdefault("usb", False)
    kw.setdefault("poll_s", 0.1)
    kw.setdefault("serial_timeout", 0.5)
    st = Station(db, PW, **kw)
    httpd = serve(st, "127.0.0.1", 0, **(server_kw or {}))
    th = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    th.start()
    st.start()
    try:
        yield st, httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        st.stop()


class Client:
    """A tiny HTTP client keeping the session cookie, as a browser would."""

    def __init__(self, port: int):
        self.port = port
        self.cookie: str | None = None
        self.csrf: str | None = None

    def call(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None
             ) -> tuple[int, bytes, dict]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if method == "POST" and self.csrf:
            h.setdefault("X-CSRF-Token", self.csrf)
        c.request(method, path, data, h)
        r = c.getresponse()
        raw = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        if "set-cookie" in hdrs:
            self.cookie = hdrs["set-cookie"].split(";", 1)[0]
        return r.status, raw, hdrs

    def get(self, path: str):
        code, raw, _ = self.call("GET", path)
        return code, (json.loads(raw) if raw[:1] in (b"{", b"[") else raw)

    def post(self, path: str, body=None, **kw):
        code, raw, _ = self.call("POST", path, body if body is not None else {}, **kw)
        return code, json.loads(raw) if raw else {}

    def login(self, who="Chị Lan", pw=PW):
        code, body = self.post("/api/login", {"who": who, "passphrase": pw})
        if code == 200:
            self.csrf = body["csrf"]
        return code, body

    def upload(self, name: str, content: bytes, field: str = "file"):
        """A multipart upload of an exposure list, as the page's file input sends it."""
        boundary = "----bztoken" + "7" * 16
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/json\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        code, raw, _ = self.call("POST", "/api/lists", raw=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return code, json.loads(raw) if raw else {}


def wait_for(fn, timeout=20.0, every=0.1):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting; last value {last!r}")


def port_state(client: Client, port: str) -> dict | None:
    code, s = client.get("/api/state")
    assert code == 200
    return next((p for p in s["ports"] if p["port"] == port), None)


def assert_no_secret(*blobs: bytes) -> None:
    for b in blobs:
        for needle in (SECRET.hex().encode(), SECRET.hex().upper().encode(), PW.encode(), SECRET):
            assert needle not in b, "a secret leaked"
