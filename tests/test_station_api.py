"""The station's HTTP API without a browser: login and refusal, auto-sync of a token on a pty (the real
SyncServer, LogStore and KeyStore on CPython), exposure lists, the flagged wearer, registry actions, a sync
cut half-way, the audit log, and no secret in any response."""

import contextlib
import json
import time

import pytest
from station_helpers import (
    PW,
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

from host_tools.station import store


@pytest.fixture
def db(tmp_path):
    p = tmp_path / "station.db"
    registry(p)
    return p


def test_requests_without_login_are_refused(db, tmp_path):
    with running_station(db) as (st, port):
        c = Client(port)
        for path in ("/api/state", "/api/wearers", "/api/audit", "/api/me", "/notice/1", "/api/export/x.json"):
            code, _ = c.get(path)
            assert code == 401, path
        for path in ("/api/sync", "/api/lists", "/api/provision", "/api/retire", "/api/export", "/api/ble/scan"):
            code, body = c.post(path, {"token_id": TOKEN})
            assert code == 401 and body["error"] == "login required", path
        code, body = c.login(pw="not the passphrase")
        assert code == 401 and body["error"] == "login_wrong" and c.cookie is None
        code, body = c.post("/api/login", {"who": "", "passphrase": PW})
        assert code == 400
        # a forged cookie is no session
        c.cookie = "bzstation=forged"
        assert c.get("/api/state")[0] == 401
        # the page itself and its texts are public (the login form needs them), nothing else
        assert c.get("/")[0] == 200 and c.get("/api/i18n")[0] == 200
        assert c.get("/static/../server.py")[0] == 404
        ok = Client(port)
        assert ok.login()[0] == 200
        # a state-changing call without the X-Station header (another site's form) is refused
        code, raw, _ = ok.call("POST", "/api/retire", {"token_id": TOKEN}, headers={"X-Station": "0"})
        assert code == 403
        assert ok.get("/api/me") == (200, {"who": "Chị Lan"})
    log = store.audit_log(db)
    assert [a["action"] for a in log if a["action"].startswith("login")] == ["login", "login_failed"]
    failed = next(a for a in log if a["action"] == "login_failed")
    assert failed["who"] == "Chị Lan" and PW not in json.dumps(failed)


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
        code, body = c.post("/api/lists", {"name": "bad.json", "content": '{"data": [{"daily_key": "zz"}]}'})
        assert code == 400 and body["error"].startswith("bad.json") and "/" not in body["error"].split(":")[0]
        code, body = c.post("/api/lists", {"name": "f0-today.json", "content": json.dumps(exposure_list(t0))})
        assert code == 200 and body["entries"] == 1
        code, s = c.get("/api/state")
        (w,) = s["exposed"]
        assert w["wearer_ref"] == "W-1" and w["wearer_name"] == "Nguyễn Văn An" and w["risk"] == "medium"
        m = w["matches"][0]
        assert m["token_id"] == TOKEN and m["proximity"] == "near" and m["duration_ms"] == 10 * 60_000
        assert m["first_seen_ms"] == t0 + 30_000
        # the printable notice, in Vietnamese
        code, raw, hdr = c.call("GET", f"/notice/{w['wearer_id']}?lang=vi")
        page = raw.decode()
        assert code == 200 and "Thông báo tiếp xúc" in page and "Nguyễn Văn An" in page and "10 phút" in page
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
        assert code == 400 and "confirmation" in body["error"]
        tok.ctx.keystore.key_for(day)
        code, body = c.post("/api/export", {"port": tok.port, "day_from": day - 1, "day_to": day, "confirm": tid})
        assert code == 202
        wait_for(lambda: tok.server._confirm_at is not None)  # the token waits for its button (a press before
        tok.ctx.presses = 1  # that would not count): the wearer presses it
        p = wait_for(lambda: (s := port_state(c, tok.port)) and (s["export_file"] or s["state"] == "failed") and s)
        assert p["export_file"], p
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
        c.post("/api/lists", {"name": "l.json", "content": json.dumps(exposure_list(t0))})
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
    db = tmp_path / "station.db"
    ids = [f"BZ-MANY-000{i}" for i in range(3)]
    secrets = [bytes([i + 1]) * 32 for i in range(3)]
    for i, (tid, sec) in enumerate(zip(ids, secrets, strict=True)):
        registry(db, tid, sec, name=f"Wearer {i}", ref=f"M-{i}")
    with contextlib.ExitStack() as stack:
        toks = [stack.enter_context(pty_token(tmp_path / f"t{i}", tid, sec, others=150, baud=115200))
                for i, (tid, sec) in enumerate(zip(ids, secrets, strict=True))]
        st, port = stack.enter_context(running_station(db, extra_ports=[str(t.port) for t in toks]))
        c = Client(port)
        c.login()

        def all_synced():
            ps = {p["port"]: p for p in c.get("/api/state")[1]["ports"]}
            return all(ps.get(t.port, {}).get("state") == "synced" for t in toks) and ps

        ps = wait_for(all_synced)
        assert {ps[t.port]["token_id"] for t in toks} == set(ids)
        assert all(ps[t.port]["summary"]["records"] == 151 for t in toks)
    from host_tools.stationdb import StationDB

    with StationDB(db) as sdb:
        pulls = sdb.pulls()
    assert len(pulls) == 3 and all(p["status"] == "complete" for p in pulls)
    # they ran side by side, not one after the other: the last to start began before the first ended
    assert max(p["started_ms"] for p in pulls) < min(p["finished_ms"] for p in pulls)


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
    bad = subprocess.run([sys.executable, "-m", "host_tools", "station", "--db", str(tmp_path / "s.db"), "--port", "0",
                          "--no-usb"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("bztoken: the station needs its passphrase")
    (tmp_path / "pw").write_text(PW + "\n")
    p = subprocess.Popen([sys.executable, "-m", "host_tools", "station", "--db", str(tmp_path / "s.db"), "--port", "0",
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
