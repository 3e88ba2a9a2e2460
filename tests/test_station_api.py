"""The station's HTTP API without a browser: login and refusal, auto-sync of a token on a pty (the real
SyncServer, LogStore and KeyStore on CPython), exposure lists, the flagged wearer, registry actions, a sync
cut half-way, the audit log, and no secret in any response."""

import contextlib
import json
import re
import socket
import time

import pytest
from station_helpers import (
    PW,
    SECRET,
    TOKEN,
    Client,
    assert_no_secret,
    cut_on_second_read,
    exposure_list,
    exposure_time_ms,
    port_state,
    pty_token,
    registry,
    running_station,
    wait_for,
)

from host_tools.match import scoring
from host_tools.station import i18n, matcher, store
from provisioning.registry import Registry


@pytest.fixture
def db(tmp_path):
    p = tmp_path / "station.db"
    registry(p)
    return p


def _routes():
    """Every route of the server, with a method (from the app's own table: a new route cannot be forgotten)."""
    from starlette.routing import Route

    from host_tools.station.server import StationApp

    class _St:
        db = None

    app = StationApp.__new__(StationApp)
    app.station = _St()
    StationApp.__init__(app, _St())  # builds the route table only
    out = []
    for r in app.asgi.app.routes:
        if isinstance(r, Route):
            for m in sorted((r.methods or set()) - {"HEAD"}):
                out.append((m, r.path.replace("{name}", "x.json").replace("{wid}", "1")))
    return out


PUBLIC = {("GET", "/"), ("GET", "/index.html"), ("GET", "/favicon.ico"), ("GET", "/api/i18n"), ("POST", "/api/login")}


def test_every_route_refuses_without_a_session(db):
    routes = _routes()
    assert len(routes) >= 20 and ("POST", "/api/lists") in routes
    with running_station(db) as (st, port):
        c = Client(port)
        for method, path in routes:
            if (method, path) in PUBLIC:
                continue
            code, raw, _ = c.call(method, path, {"token_id": TOKEN} if method == "POST" else None)
            assert code == 401 and json.loads(raw)["error"] == "e_login_required", (method, path)
        # a forged cookie is no session
        c.cookie = "bzstation=forged"
        assert c.get("/api/state")[0] == 401
        # the page itself and its texts are public (the login form needs them), nothing else
        assert c.get("/")[0] == 200 and c.get("/api/i18n")[0] == 200
        assert c.get("/static/../server.py")[0] == 404
        code, body = c.login(pw="not the passphrase")
        assert code == 401 and body["error"] == "login_wrong" and c.cookie == "bzstation=forged"
        code, body = c.post("/api/login", {"who": "", "passphrase": PW})
        assert code == 400 and body["error"] == "login_who_missing"
        ok = Client(port)
        code, body = ok.login()
        assert code == 200 and len(body["csrf"]) > 20
        assert ok.get("/api/me")[1]["who"] == "Chị Lan"
    log = store.audit_log(db)
    assert [a["action"] for a in log if a["action"].startswith("login")] == ["login", "login_failed"]
    failed = next(a for a in log if a["action"] == "login_failed")
    assert failed["who"] == "Chị Lan" and PW not in json.dumps(failed)


def test_csrf_token_and_origin_are_required_to_change_anything(db):
    with running_station(db) as (st, port):
        c = Client(port)
        c.login()
        token = c.csrf
        for bad in (None, "", token[:-1] + ("A" if token[-1] != "A" else "B")):
            c.csrf = bad
            code, body = c.post("/api/retire", {"token_id": TOKEN}, headers={"X-CSRF-Token": bad} if bad else None)
            assert code == 403 and body["error"] == "e_csrf", bad
        c.csrf = token
        # a page of another origin: refused before the route runs, even with the right token
        for hdr in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": f"http://127.0.0.1:{port + 1}"}):
            code, body = c.post("/api/retire", {"token_id": TOKEN}, headers=hdr)
            assert code == 403 and body["error"] == "e_origin", hdr
            code, body = c.post("/api/login", {"who": "x", "passphrase": PW}, headers=hdr)
            assert code == 403, hdr
        # a page of another site whose name was pointed at this computer (DNS rebinding): refused, even a GET
        for method in ("GET", "POST"):
            code, raw, _ = c.call(method, "/api/state" if method == "GET" else "/api/retire",
                                  {"token_id": TOKEN} if method == "POST" else None,
                                  headers={"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"})
            assert code == 400 and json.loads(raw)["error"] == "e_bad_host", method
        # the station's own origin passes
        code, body = c.post("/api/retire", {"token_id": "BZ-NONE-0000"}, headers={"Origin": f"http://127.0.0.1:{port}"})
        assert code == 400 and body["error"] == "e_unknown_token" and body["args"] == {"token": "BZ-NONE-0000"}
    with Registry(db, None) as reg:
        assert reg.token(TOKEN)["status"] == "provisioned"  # nothing was retired


def _raw_request(port: int, head: bytes, body_after: bytes = b"", wait: float = 0.3) -> tuple[bytes, bool]:
    """Send a request head by hand; then try to send more body. Returns (answer, whether the server still read
    after answering)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(head)
        s.settimeout(10)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += s.recv(65536)
        head_end = answer.index(b"\r\n\r\n") + 4
        m = re.search(rb"(?i)content-length: *(\d+)", answer[:head_end])
        while m and len(answer) < head_end + int(m.group(1)):
            answer += s.recv(65536)
        still_reading = True
        try:
            time.sleep(wait)
            for _ in range(64):
                s.sendall(body_after or b"x" * 65536)
        except OSError:
            still_reading = False
        return answer, still_reading
    finally:
        s.close()


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1e9", b" ", b"12, 13", b"0x10"])
def test_bad_content_length_is_400_without_reading_the_body(db, length):
    with running_station(db) as (st, port):
        head = (b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + length + b"\r\n\r\n")
        answer, still_reading = _raw_request(port, head)
        assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
        assert not still_reading  # 4 MiB more was not taken: the connection was closed
    assert store.audit_log(db) == []  # the login route never ran


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(db):
    from host_tools.station.server import MAX_UPLOAD

    with running_station(db) as (st, port):
        c = Client(port)
        c.login()
        for path, n in (("/api/lists", MAX_UPLOAD + 1), ("/api/login", 1 << 20), ("/api/retire", 10 << 20)):
            head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {c.cookie}\r\nX-CSRF-Token: {c.csrf}\r\n"
                    f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {n}\r\n\r\n").encode()
            answer, still_reading = _raw_request(port, head)
            assert answer.startswith(b"HTTP/1.1 413") and b"e_too_large" in answer, (path, answer[:200])
            assert not still_reading


def test_a_chunked_body_is_cut_at_the_limit(db):
    """No Content-Length (chunked): the body is counted as it arrives and refused once over the limit."""
    with running_station(db, server_kw={"max_upload": 64 << 10}) as (st, port):
        c = Client(port)
        c.login()
        head = (f"POST /api/lists HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {c.cookie}\r\nX-CSRF-Token: {c.csrf}\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        part = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.json\"\r\n\r\n" + b"[" * 8000
        chunk = f"{len(part):x}\r\n".encode() + part + b"\r\n"
        answer, still_reading = _raw_request(port, head + chunk * 12, body_after=chunk)
        assert answer.startswith(b"HTTP/1.1 413") and b"e_too_large" in answer, answer[:300]
        assert not still_reading
        assert list(st.exposures_dir.iterdir()) == []  # nothing kept


def test_the_station_derives_the_registry_key_once(db, tmp_path, monkeypatch):
    """scrypt (128 MiB, tenths of a second at the real cost) once per station run, not once per sync."""
    from provisioning import secrets

    calls = []
    real = secrets.derive_key
    monkeypatch.setattr(secrets, "derive_key", lambda *a, **k: calls.append(1) or real(*a, **k))
    with pty_token(tmp_path / "tok") as tok, running_station(db, extra_ports=[tok.port]) as (st, port):
        c = Client(port)
        c.login()
        wait_for(lambda: (s := port_state(c, tok.port)) and s["state"] == "synced")
        wait_for(lambda: c.post("/api/sync", {"port": tok.port})[0] == 202)  # (400 while it finishes matching)
        wait_for(lambda: sum(a["action"] == "sync" for a in store.audit_log(db)) == 2)
    assert len(calls) == 1


def test_login_lockout_grows_per_client(db):
    from host_tools.station.server import FREE_TRIES, LOCK_BASE_S, LoginLimiter

    now = [1000.0]
    lim = LoginLimiter(clock=lambda: now[0])
    locks = [lim.failed("10.0.0.9") for _ in range(FREE_TRIES + 3)]
    assert locks[:FREE_TRIES - 1] == [0.0] * (FREE_TRIES - 1)
    assert locks[FREE_TRIES - 1:] == [LOCK_BASE_S * 2 ** i for i in range(4)]  # 5, 10, 20, 40 s
    assert lim.locked_for("10.0.0.9") == LOCK_BASE_S * 8 and lim.locked_for("10.0.0.10") == 0  # per client
    now[0] += LOCK_BASE_S * 8 + 1
    assert lim.locked_for("10.0.0.9") == 0
    assert lim.failed("10.0.0.9") == LOCK_BASE_S * 16  # it keeps growing after a lockout ends
    lim.succeeded("10.0.0.9")
    assert lim.failed("10.0.0.9") == 0  # a right passphrase starts over
    small = LoginLimiter(keep=3)
    for i in range(10):
        small.failed(f"a{i}")
    assert len(small._s) == 3  # bounded memory

    # through the server: locked out even with the right passphrase, and the answer says for how long
    with running_station(db) as (st, port):
        c = Client(port)
        codes = [c.login(pw="wrong guess")[0] for _ in range(FREE_TRIES + 1)]
        assert codes == [401] * (FREE_TRIES - 1) + [429, 429]
        code, body = c.login()
        assert code == 429 and body["error"] == "login_locked" and body["args"]["seconds"] >= LOCK_BASE_S
    acts = [a["action"] for a in store.audit_log(db)]
    assert acts.count("login_failed") == FREE_TRIES + 1 - 1 and "login_locked" in acts and "login" not in acts


def test_a_burst_of_guesses_gets_no_more_tries(tmp_path):
    """Many wrong passphrases at once from one client: only the free tries are judged, the rest are locked out."""
    from concurrent.futures import ThreadPoolExecutor

    from host_tools.station.server import FREE_TRIES

    db = tmp_path / "station.db"
    registry(db)
    with running_station(db) as (st, port), ThreadPoolExecutor(16) as ex:
        codes = list(ex.map(lambda i: Client(port).login(pw=f"guess {i}")[0], range(16)))
    assert sorted(codes) == [401] * (FREE_TRIES - 1) + [429] * (16 - FREE_TRIES + 1), codes


def test_database_files_are_private(tmp_path):
    import os
    import stat

    db = tmp_path / "fresh" / "station.db"
    old = os.umask(0o022)
    try:
        with running_station(db):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_a_round1_database_migrates_keeping_every_row(tmp_path):
    import sqlite3
    from pathlib import Path

    from host_tools import dbfiles

    db = tmp_path / "station.db"
    dump = (Path(__file__).parent / "vectors" / "station-round1.sql").read_text(encoding="utf-8")
    con = sqlite3.connect(db)
    con.executescript(dump)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    before = {t: sorted(map(tuple, con.execute(f"SELECT * FROM {t}"))) for t in tables}
    old_cols = {t: ", ".join(r[1] for r in con.execute(f"PRAGMA table_info({t})")) for t in tables}
    con.close()
    assert before["encounters"] and before["secrets"] and before["station_audit"]
    with running_station(db) as (st, port):
        c = Client(port)
        assert c.login()[0] == 200
        code, s = c.get("/api/state")
        assert {t["token_id"] for t in s["tokens"]} == {"BZ-TEST-0001", "BZ-TEST-0002"}
    con = sqlite3.connect(db)
    try:
        for t in tables:
            if t == "encounters":
                continue  # moved to the columnar encounter store (host_tools.stationdb): compared below
            rows = sorted(map(tuple, con.execute(f"SELECT {old_cols[t]} FROM {t}")))  # columns added later aside
            if t == "station_audit":
                assert rows[:len(before[t])] == before[t]  # kept; the new run's rows follow
            elif t == "station_matches":
                assert len(rows) == len(before[t])  # recomputed, same matches
            else:
                assert rows == before[t], t
        # syncs gained the clock rate: unknown (NULL) and not sent for every round-1 row
        assert set(con.execute("SELECT rate_ppb, rate_sent FROM syncs")) == {(None, 0)}
        assert dbfiles.version(con, "station") == len(store.MIGRATIONS)
        assert con.execute("SELECT count(*) FROM station_settings").fetchone() == (0,)
    finally:
        con.close()
    from host_tools.stationdb import ENCOUNTER_COLUMNS, StationDB

    with StationDB(db) as sdb:
        moved = sorted(tuple(r[c] for c in ENCOUNTER_COLUMNS) for r in sdb.encounters())
    cols = [r[1] for r in sqlite3.connect(":memory:").executescript(
        dump[dump.index("CREATE TABLE encounters"):dump.index(";", dump.index("CREATE TABLE encounters")) + 1]
    ).execute("PRAGMA table_info(encounters)")]
    assert moved == sorted(tuple(r[cols.index(c)] for c in ENCOUNTER_COLUMNS) for r in before["encounters"])
    with Registry(db, PW) as reg:  # the round-1 secrets still open with the round-1 passphrase
        assert reg.secret_for("BZ-TEST-0001") == SECRET


def test_token_syncs_by_itself_and_the_exposed_wearer_is_flagged(db, tmp_path):
    t0 = exposure_time_ms()
    with pty_token(tmp_path / "tok") as tok, running_station(db, extra_ports=[tok.port]) as (st, port):
        c = Client(port)
        assert c.login()[0] == 200
        p = wait_for(lambda: (s := port_state(c, tok.port)) and s["state"] == "synced" and s)
        assert p["token_id"] == TOKEN and p["summary"]["records"] == 6 and p["summary"]["new_rows"] == 6
        assert tok.ctx.logstore.confirmed(tok.ctx.logstore.days()[0]) == 6 * 24  # confirmed to the token
        code, s = c.get("/api/state")
        (tk,) = s["tokens"]
        assert tk["last_sync_ms"] and tk["battery_mv"] == 3900 and tk["log_days"] == 1 and tk["encounters"] == 6
        assert tk["clock_offset_ms"] is not None and tk["free_bytes"] > 0 and tk["warnings"] == []
        assert s["exposed"] == []
        # an exposure list: a bad one is refused with a clear message, nothing imported
        code, body = c.upload("bad.json", b'{"data": [{"daily_key": "zz"}]}')
        assert code == 400 and body["error"] == "e_list_refused" and body["args"]["name"] == "bad.json"
        assert body["args"]["detail"].startswith("bad.json") and "/" not in body["args"]["detail"].split(":")[0]
        code, body = c.upload("f0-today.json", json.dumps(exposure_list(t0)).encode())
        assert code == 200 and body["entries"] == 1
        code, s = c.get("/api/state")
        (w,) = s["exposed"]
        assert w["wearer_ref"] == "W-1" and w["wearer_name"] == "Nguyễn Văn An" and w["risk"] == "medium"
        m = w["matches"][0]
        assert m["token_id"] == TOKEN and m["proximity"] == "near" and m["duration_ms"] == 10 * 60_000
        assert m["first_seen_ms"] == t0 + 30_000
        # what the flag rests on: the scoring's own near-minutes, threshold and minutes per bucket, as it stored
        # them (one source). Ten minutes seen at about -58 dBm, plus half a sampling period (always-on: 50 s) on
        # each side, in 30 s bins: 11 near-minutes, all 'immediate'; under 15, hence 'medium'.
        (_lid, _tok, _entry, scored), = matcher.current_exposures(db)
        assert m["near_min"] == scored["near_min"] and m["buckets_min"] == {
            k: v / 60 for k, v in scored["buckets_s"].items()}
        assert m["near_threshold"] == scoring.DEFAULT_NEAR_MIN and 10 <= m["near_min"] < m["near_threshold"]
        assert m["buckets_min"]["immediate"] == m["near_min"] and m["last_seen_ms"] == t0 + 30_000 + 600_000
        assert [b["name"] for b in s["buckets"]] == ["immediate", "near", "medium", "other"]
        assert [b["counted"] for b in s["buckets"]] == [True, True, False, False] and s["buckets"][1]["to_m"] == 2
        # the printable notice, in Vietnamese, says it in plain words
        code, raw, hdr = c.call("GET", f"/notice/{w['wearer_id']}?lang=vi")
        page = raw.decode()
        assert code == 200 and "Thông báo tiếp xúc" in page and "Nguyễn Văn An" in page and "10 phút" in page
        near = i18n.number(m["near_min"], "vi")
        assert f"ước tính {near} phút ở gần (≤ 2 m); ngưỡng 15 phút" in page
        assert f"rất gần (≤ 1,4 m) {near} phút · gần (1,4–2 m) 0 phút · hơi xa (2–3,3 m) 0 phút" in page
        raw = c.call("GET", f"/notice/{w['wearer_id']}?lang=en")[1].decode()
        assert f"estimated {i18n.number(m['near_min'], 'en')} min near (≤ 2 m); threshold 15 min" in raw
        assert c.get("/notice/999")[0] == 404
        # the token goes to someone else: the match stays with who wore it then
        assert c.post("/api/reassign", {"token_id": TOKEN, "name": "Phạm Văn Dũng", "ref": "W-5"})[0] == 200
        (w2,) = c.get("/api/state")[1]["exposed"]
        assert w2["wearer_ref"] == "W-1" and w2["wearer_id"] == w["wearer_id"]
        assert c.post("/api/reassign", {"token_id": TOKEN, "name": "Phạm Văn Dũng", "ref": "W-5"})[0] == 400
        # a list dropped in the watched folder is picked up by itself (and a broken one reported)
        (st.exposures_dir / "broken.json").write_text("{not json")
        wait_for(lambda: any(k.startswith("broken.json") for k in c.get("/api/state")[1]["bad_lists"]), timeout=10)
    acts = [a["action"] for a in store.audit_log(db)]
    for a in ("token_plugged", "sync", "list_refused", "list_import", "notice_printed"):
        assert a in acts, a


def test_register_reassign_retire_and_export(db, tmp_path):
    with pty_token(tmp_path / "new", token_id=None, secret=None, with_records=False) as tok, \
            running_station(db, extra_ports=[tok.port], export_wait_s=5) as (st, port):
        c = Client(port)
        c.login()
        wait_for(lambda: (s := port_state(c, tok.port)) and s["state"] == "unprovisioned")
        code, body = c.post("/api/provision", {"port": tok.port, "name": "Trần Thị Bình", "ref": "W-2", "phone": ""})
        assert code == 200, body
        tid = body["token_id"]
        assert tok.ctx.secret is not None and tok.ctx.config.token_id == tid
        wait_for(lambda: (s := port_state(c, tok.port)) and s["state"] == "synced")
        code, w = c.get("/api/wearers")
        assert {x["ref"]: [k["token_id"] for k in x["tokens"]] for x in w["wearers"]}["W-2"] == [tid]
        # reassign to a new wearer, then retire it
        code, body = c.post("/api/reassign", {"token_id": tid, "name": "Lê Văn Cường", "ref": "W-3"})
        assert code == 200 and body["wearer"] == "W-3"
        # diagnosis export: refused without the typed confirmation, then waits for the button
        day = int(time.time() // 86400)
        code, body = c.post("/api/export", {"port": tok.port, "day_from": day - 1, "day_to": day, "confirm": "yes"})
        assert code == 400 and body["error"] == "e_export_confirm"
        tok.ctx.keystore.key_for(day)
        code, body = c.post("/api/export", {"port": tok.port, "day_from": day - 1, "day_to": day, "confirm": tid})
        assert code == 202
        wait_for(lambda: tok.server._confirm_at is not None)  # the token waits for its button (a press before
        tok.ctx.presses = 1  # that would not count): the wearer presses it
        p = wait_for(lambda: (s := port_state(c, tok.port)) and (s["export_file"] or s["state"] == "failed") and s)
        assert p["export_file"], p
        import stat

        assert stat.S_IMODE((st.exports_dir / p["export_file"]).stat().st_mode) == 0o600
        assert stat.S_IMODE(st.exports_dir.stat().st_mode) == 0o700
        code, raw, hdr = c.call("GET", f"/api/export/{p['export_file']}")
        doc = json.loads(raw)
        assert code == 200 and [e["time_start"] for e in doc["data"]] == [day * 86400]
        assert doc["data"][0]["daily_key"] == tok.ctx.keystore.key_for(day).hex().upper()
        code, body = c.post("/api/retire", {"token_id": tid})
        assert code == 200
        code, s = c.get("/api/state")
        assert next(k for k in s["tokens"] if k["token_id"] == tid)["status"] == "retired"
        # a retired token is not synced again
        c.post("/api/sync", {"port": tok.port})
        wait_for(lambda: "retired" in (port_state(c, tok.port) or {}).get("message", ""))
        assert c.post("/api/reassign", {"token_id": "BZ-NONE-0000", "name": "X"})[0] == 400
    log = store.audit_log(db)
    acts = {a["action"]: a for a in log}
    for a in ("provision", "reassign", "export_not_confirmed", "export_requested", "export", "export_downloaded",
              "retire", "sync_refused_retired"):
        assert a in acts, a
    assert acts["reassign"]["detail"] == {"from_wearer": "W-2", "to_wearer": "W-3"}
    assert all(a["who"] == "Chị Lan" for a in log if a["action"] in ("provision", "reassign", "retire", "export"))


def test_a_sync_cut_half_way_says_so_and_loses_nothing(db, tmp_path):
    with pty_token(tmp_path / "tok", others=199) as tok:  # 200 records: three reads of at most 85
        cut_on_second_read(tok)
        with running_station(db, extra_ports=[tok.port]) as (st, port):
            c = Client(port)
            c.login()
            p = wait_for(lambda: (s := port_state(c, tok.port)) and s["state"] == "failed" and s)
            assert p["msg_key"] == "m_link_lost_kept" and p["msg_args"]["kept"] == 85, p
            assert "85 records read were stored" in p["msg_args"]["error"]
        day = tok.ctx.logstore.days()[0]
        assert tok.ctx.logstore.confirmed(day) == 0  # nothing confirmed: the token keeps it all
    with pty_token(tmp_path / "tok", with_records=False) as tok2, \
            running_station(db, extra_ports=[tok2.port]) as (st, port):
        c = Client(port)
        c.login()
        p = wait_for(lambda: (s := port_state(c, tok2.port)) and s["state"] in ("synced", "failed") and s)
        assert p["state"] == "synced"
    from host_tools.stationdb import StationDB

    with StationDB(db) as sdb:
        rows = sdb.encounters(TOKEN)
        assert len(rows) == 200 and len({(r["day"], r["file_offset"]) for r in rows}) == 200
        assert [p["status"] for p in sdb.pulls(TOKEN)] == ["interrupted", "complete"]
        assert [p["new_rows"] for p in sdb.pulls(TOKEN)] == [85, 115]
    assert any(a["action"] == "sync_failed" for a in store.audit_log(db))


def test_no_response_holds_a_secret(db, tmp_path):
    t0 = exposure_time_ms()
    with pty_token(tmp_path / "tok") as tok, running_station(db, extra_ports=[tok.port]) as (st, port):
        c = Client(port)
        c.login()
        wait_for(lambda: (s := port_state(c, tok.port)) and s["state"] == "synced")
        c.upload("l.json", json.dumps(exposure_list(t0)).encode())
        bodies = []
        for path in ("/", "/api/state", "/api/wearers", "/api/audit", "/api/me", "/api/i18n", "/static/app.js"):
            code, raw, _ = c.call("GET", path)
            assert code == 200, path
            bodies.append(raw)
        wid = c.get("/api/state")[1]["exposed"][0]["wearer_id"]
        bodies.append(c.call("GET", f"/notice/{wid}")[1])
        assert_no_secret(*bodies)
    con = store.connect(db)
    try:
        audit_blob = json.dumps([list(r) for r in con.execute("SELECT * FROM station_audit")]).encode()
        status_blob = json.dumps([list(r) for r in con.execute("SELECT * FROM station_tokens")]).encode()
    finally:
        con.close()
    assert_no_secret(audit_blob, status_blob)


def test_several_tokens_sync_at_once(tmp_path):
    import threading

    from bzfw import wire

    db = tmp_path / "station.db"
    ids = [f"BZ-MANY-000{i}" for i in range(3)]
    secrets = [bytes([i + 1]) * 32 for i in range(3)]
    for i, (tid, sec) in enumerate(zip(ids, secrets, strict=True)):
        registry(db, tid, sec, name=f"Wearer {i}", ref=f"M-{i}")
    # Each token holds its answer to its first log read until all three are reading: the pulls can only finish
    # if the station runs them side by side. The timeout is generous; a station that serialises the ports (or
    # loses a token's first answer and waits a serial_timeout to ask again) breaks the barrier and fails.
    reading = threading.Barrier(3, timeout=30)
    broken: list[str] = []

    def hold_first_read(tok, tid):
        feed, requests, held = tok.server.feed, wire.Decoder(), []

        def gated(data):
            if not held and any(f.cmd == wire.READ for f in requests.feed(data)):
                held.append(True)
                try:
                    reading.wait()
                except threading.BrokenBarrierError:
                    broken.append(tid)
            return feed(data)

        tok.server.feed = gated

    with contextlib.ExitStack() as stack:
        toks = [stack.enter_context(pty_token(tmp_path / f"t{i}", tid, sec, others=150, baud=115200))
                for i, (tid, sec) in enumerate(zip(ids, secrets, strict=True))]
        for t, tid in zip(toks, ids, strict=True):
            hold_first_read(t, tid)
        # a serial timeout longer than the barrier's: a lost answer cannot be papered over by a resend in time
        st, port = stack.enter_context(running_station(db, extra_ports=[str(t.port) for t in toks],
                                                       serial_timeout=60))
        c = Client(port)
        c.login()

        def all_synced():
            ps = {p["port"]: p for p in c.get("/api/state")[1]["ports"]}
            return all(ps.get(t.port, {}).get("state") == "synced" for t in toks) and ps

        ps = wait_for(all_synced, timeout=90)
        assert not broken, f"tokens {broken} waited in vain for the others to read: the pulls did not overlap"
        assert {ps[t.port]["token_id"] for t in toks} == set(ids)
        assert all(ps[t.port]["summary"]["records"] == 151 for t in toks)
    from host_tools.stationdb import StationDB

    with StationDB(db) as sdb:
        pulls = sdb.pulls()
    assert len(pulls) == 3 and all(p["status"] == "complete" for p in pulls)
    # every pull began before any had ended (the barrier made them all read at once)
    assert max(p["started_ms"] for p in pulls) < min(p["finished_ms"] for p in pulls), pulls


def test_port_discovery_entries(tmp_path):
    from host_tools.station import ports

    with pty_token(tmp_path / "tok", with_records=False) as tok:
        (tmp_path / "vt" / "a").mkdir(parents=True)
        (tmp_path / "vt" / "a" / "port").write_text(tok.port + "\n")  # a virtual token's DIR/port
        (tmp_path / "vt" / "b").mkdir()
        (tmp_path / "vt" / "b" / "port").write_text(str(tmp_path / "gone") + "\n")  # a stopped one
        found = ports.discover([str(tmp_path / "vt" / "*" / "port"), "socket://127.0.0.1:7", tok.port,
                                str(tmp_path / "nothing*")], usb=False)
        assert found == [tok.port, "socket://127.0.0.1:7"]


@pytest.mark.parametrize("status, offset, want", [
    ({"clock_set": True, "free_bytes": 900, "log_bytes": 100, "battery_mv": 4000}, 0, []),
    ({"clock_set": False, "free_bytes": 900, "log_bytes": 100, "battery_mv": 4000}, None, ["warn_clock_not_set"]),
    ({"clock_set": True, "free_bytes": 90, "log_bytes": 910, "battery_mv": 3400}, 0,
     ["warn_flash_full", "warn_battery_low"]),
    ({"clock_set": True, "free_bytes": 500, "log_bytes": 500, "battery_mv": None}, -61_000, ["warn_clock_drift"]),
])
def test_token_warnings(status, offset, want):
    from host_tools.station.service import warnings_for

    assert warnings_for(status, offset) == want


def test_cli_serves_on_localhost_and_stops_cleanly(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    env = dict(os.environ, BZTOKEN_PASSPHRASE="")
    (tmp_path / "pw").write_text(PW + "\n")
    p = subprocess.Popen([sys.executable, "-m", "host_tools", "station", "--db", str(tmp_path / "s.db"),
                          "--http-port", "0",
                          "--no-usb", "--passphrase-file", str(tmp_path / "pw")], env=env, stderr=subprocess.PIPE,
                         text=True)
    try:
        line = p.stderr.readline()
        assert line.startswith("station on http://127.0.0.1:"), line
        url = line.split()[2]
        assert urllib.request.urlopen(url, timeout=10).status == 200
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url + "api/state", timeout=10)
        assert e.value.code == 401
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_every_word_the_pages_use_is_in_both_languages():
    """Every key the page asks for (t("...") in app.js, the bucket names of the scoring's table, the risk and
    proximity levels) has a text in Vietnamese and in English: nothing falls back to a key or to English."""
    from pathlib import Path

    from host_tools.match import calibration
    from host_tools.station import service

    app = (Path(service.__file__).with_name("static") / "app.js").read_text(encoding="utf-8")
    keys = set(re.findall(r"\bt\(\"(\w+)\"\)", app))
    keys |= {"bucket_" + n for n in calibration.buckets()[1]}
    keys |= {"risk_" + r for r in store.RISK_ORDER} | {f"prox_{p}" for p in ("near", "medium", "far")}
    cat = i18n.catalogue()
    assert len(keys) > 50
    for lang in i18n.LANGS:
        missing = sorted(k for k in keys if not cat[lang].get(k, "").strip())
        assert not missing, (lang, missing)
    assert [b["name"] for b in service.near_buckets()] == calibration.buckets()[1]


@pytest.mark.parametrize("lang, v, want", [("vi", 3.5, "3,5"), ("en", 3.5, "3.5"), ("vi", 15.0, "15"),
                                           ("vi", 1234.5, "1.234,5"), ("en", 1234.5, "1,234.5"), ("en", 0, "0")])
def test_numbers_as_each_language_writes_them(lang, v, want):
    assert i18n.number(v, lang) == want


def test_matches_are_listed_worst_first_by_near_minutes(tmp_path):
    """Within a risk level, the match with the most estimated near-minutes comes first (the one the page shows
    for the wearer); a row without an estimate (a hub import) sorts as none; the buckets come back as stored."""
    db = tmp_path / "station.db"
    store.init(db)
    base = {"wearer_id": 1, "proximity": "near", "first_seen_ms": 1000, "last_seen_ms": 2000, "rssi_mean": -60,
            "list_name": "f0.json"}
    rows = [dict(base, token_id="A", risk="medium", duration_ms=600_000, near_min=3.0, near_threshold=15.0,
                 buckets_s={"immediate": 180, "near": 0, "medium": 0, "other": 420}),
            dict(base, token_id="B", risk="medium", duration_ms=60_000, near_min=9.5, near_threshold=15.0,
                 buckets_s={"immediate": 570, "near": 0, "medium": 0, "other": 0}),
            dict(base, token_id="C", risk="medium", duration_ms=900_000),  # no estimate
            dict(base, token_id="D", risk="high", duration_ms=60_000, near_min=16.0, near_threshold=15.0,
                 buckets_s={"immediate": 0, "near": 960, "medium": 0, "other": 0})]
    store.replace_matches(db, rows)
    got = store.matches(db)
    assert [m["token_id"] for m in got] == ["D", "B", "A", "C"]
    assert json.loads(got[1]["buckets_s"])["immediate"] == 570 and got[3]["near_min"] is None


def test_the_notice_says_the_estimate_in_plain_words_or_that_there_is_none():
    from host_tools.station import notice, service

    b = service.near_buckets()
    m = {"near_min": 23.0, "near_threshold": 15.0,
         "buckets_min": service.buckets_min(json.dumps({"immediate": 600, "near": 780, "medium": 2400, "other": 30}))}
    head, line = notice.near_text(m, b, "vi")
    assert head == "ước tính 23 phút ở gần (≤ 2 m); ngưỡng 15 phút"
    assert line == ("Theo khoảng cách: rất gần (≤ 1,4 m) 10 phút · gần (1,4–2 m) 13 phút · "
                    "hơi xa (2–3,3 m) 40 phút · xa (> 3,3 m) 0,5 phút")
    assert notice.near_text(m, b, "en")[0] == "estimated 23 min near (≤ 2 m); threshold 15 min"
    # a match imported from a hub run carries no estimate: said so, no numbers made up
    assert notice.near_text({"near_min": None, "buckets_min": None}, b, "vi") == (
        "chưa có ước tính thời gian ở gần", "")
