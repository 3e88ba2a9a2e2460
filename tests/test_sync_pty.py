"""Sync end to end on CPython: the station's client and pull against the real SyncServer, LogStore and
KeyStore over a real pseudo-terminal (host_tools.sync.ptytoken), with line faults."""

import json
import os

import pytest

from bzfw import ids, records, wire
from host_tools import cli
from host_tools.errors import AuthError, LinkError
from host_tools.stationdb import Drift, StationDB
from host_tools.sync import client as sclient
from host_tools.sync.ptytoken import PtyToken, SimClock, TokenCtx
from host_tools.sync.pull import pull
from host_tools.sync.transport import SerialTransport

TID = "BZT-0042"
SECRET = bytes(range(32))
DAY_MS = ids.DAY_MS


def _fill(ctx, days=3, per_day=300):
    """Records on the token's log for the last `days` days; returns them by (day, offset)."""
    today = ids.day_of(ctx.clock.now_ms())
    want = {}
    for dd in range(today - days + 1, today + 1):
        recs = []
        for i in range(per_day):
            slot = i % 96
            first = dd * DAY_MS + slot * ids.SLOT_MS + (i % 60) * 1000
            recs.append(records.encode(dd, slot, 1 + i % 2, os.urandom(12), first, first + 30000, 1 + i % 7,
                                       -90, -50, -70))
        assert ctx.logstore.append(dd, recs) == per_day
        for j, r in enumerate(recs):
            want[(dd, j * records.RECORD_SIZE)] = records.decode(r, dd)
    return want


@pytest.fixture
def token(tmp_path):
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET, SimClock(offset_ms=4000))
    with PtyToken(ctx) as tok:
        yield tok


@pytest.fixture
def db(tmp_path):
    with StationDB(tmp_path / "station.db") as d:
        yield d


def _client(tok, **kw):
    return sclient.SyncClient(SerialTransport(tok.port), **kw)


def _stored(db):
    return {(r["day"], r["file_offset"]): r for r in db.encounters(TID)}


def _check_rows(db, want):
    rows = _stored(db)
    assert set(rows) == set(want)
    for k, r in rows.items():
        d = want[k]
        assert (r["slot"], r["kind"], r["contact_id"], r["raw_first_seen_ms"], r["raw_last_seen_ms"], r["count"]) == (
            d[1], d[2], d[3], d[4], d[5], d[6])
        assert r["first_seen_ms"] == r["raw_first_seen_ms"] + r["correction_ms"]


def test_pull_stores_everything_confirms_and_sets_the_clock(token, db):
    want = _fill(token.ctx)
    s = pull(_client(token), db, lambda tid: SECRET)
    assert s["status"] == "complete" and s["records"] == len(want) == s["new_rows"]
    _check_rows(db, want)
    ls = token.ctx.logstore
    assert all(ls.confirmed(d) == ls.size(d) for d in ls.days())
    assert abs(s["clock"]["offset_ms"] - 4000) < 200 and abs(token.ctx.clock.now_ms() - token.ctx.clock.now_ms()) < 50
    assert abs(s["clock"]["residual_ms"]) < 200
    again = pull(_client(token), db, lambda tid: SECRET)
    assert again["records"] == 0 and len(_stored(db)) == len(want)
    assert [p["status"] for p in db.pulls(TID)] == ["complete", "complete"]


def test_logs_and_keys_refused_without_auth(token):
    _fill(token.ctx, days=1, per_day=5)
    token.ctx.keystore.key_for(ids.day_of(token.ctx.clock.now_ms()))
    c = _client(token)
    c.hello()
    for cmd, payload in [(wire.READ, wire.pack_read(0, 0, 100)), (wire.LIST_DAYS, b""),
                         (wire.KEYS, wire.pack_range(0, 5)), (wire.CONFIRM, wire.pack_confirm(0, 0)),
                         (wire.TIME_SET, wire.pack_ms(1)), (wire.WIPE, b"")]:
        with pytest.raises(sclient.Refused) as e:
            c.request(cmd, payload)
        assert e.value.status == wire.E_AUTH_REQUIRED
    # A request with a made-up tag is refused too.
    c._key = os.urandom(32)
    with pytest.raises(sclient.SessionLost):
        c.list_days()


def test_wrong_secret_refused_with_growing_delay(token, db):
    _fill(token.ctx, days=1, per_day=5)
    c = _client(token)
    waits = []
    for _ in range(3):
        c.hello()
        with pytest.raises(AuthError) as e:
            c.auth(b"\x00" * 32)
        assert "refused the secret" in str(e.value)
        waits.append(token.server._lock_ms)
        c.hello()
        with pytest.raises(AuthError, match="locked"):  # at once: still locked out
            c.auth(SECRET)
        token.ctx.clock.tick_skew += waits[-1]  # time passes (ticks, not sleep)
    assert waits == [1000, 2000, 4000]
    with pytest.raises(AuthError):
        pull(_client(token), db, lambda tid: b"\x01" * 32)
    assert db.encounters() == [] and token.ctx.logstore.confirmed(token.ctx.logstore.days()[0]) == 0
    token.ctx.clock.tick_skew += 10**6
    assert pull(_client(token), db, lambda tid: SECRET)["records"] == 5
    assert token.server.failures == 0


def test_corrupted_responses_are_retransmitted_never_accepted(token, db):
    want = _fill(token.ctx, days=2, per_day=400)
    token.corrupt_every = 5
    s = pull(_client(token, timeout=0.3, retries=10), db, lambda tid: SECRET)
    assert s["retransmits"] > 0 and s["line_errors"] > 0
    _check_rows(db, want)


def test_garbage_and_repl_text_on_the_line_are_ignored(token, db):
    want = _fill(token.ctx, days=1, per_day=200)
    token.inject(b"MicroPython v1.29 on esp32\r\n>>> \x00\xff\xc0garbage\xdb\xc0")
    c = _client(token)
    c.hello()
    token.inject(os.urandom(300))
    pull(c, db, lambda tid: SECRET)
    _check_rows(db, want)


def test_cable_pulled_mid_pull_then_rerun_resumes(tmp_path, db):
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET)
    want = _fill(ctx, days=3, per_day=400)
    with PtyToken(ctx) as tok:
        tok.drop_after = 12  # hello, auth, 7 clock requests, list, 2 reads: then the cable goes
        with pytest.raises(LinkError, match="rerun to resume"):
            pull(_client(tok, timeout=1.0, retries=1), db, lambda tid: SECRET)
    first = _stored(db)
    assert 0 < len(first) < len(want)
    assert [p["status"] for p in db.pulls(TID)] == ["interrupted"]
    assert all(ctx.logstore.confirmed(d) == 0 for d in ctx.logstore.days())  # nothing confirmed yet
    with PtyToken(ctx) as tok:
        s = pull(_client(tok), db, lambda tid: SECRET)
    assert s["records"] == len(want) - len(first)  # resumed where the station's copy ends
    _check_rows(db, want)
    assert all(ctx.logstore.confirmed(d) == ctx.logstore.size(d) for d in ctx.logstore.days())


def test_token_rebooted_mid_pull_is_authenticated_again(token, db):
    want = _fill(token.ctx, days=2, per_day=500)
    c = _client(token)
    orig = c.read
    calls = []

    def read(day, off, n):
        calls.append(day)
        if len(calls) == 3:
            token.reboot()
        return orig(day, off, n)

    c.read = read
    s = pull(c, db, lambda tid: SECRET)
    assert s["status"] == "complete"
    _check_rows(db, want)
    assert token.server.authenticated is False  # the session ended with bye


def test_newer_protocol_version_named_in_the_error(token):
    class Future:
        def __init__(self):
            self.dec = wire.Decoder()

        def feed(self, data):
            return b"".join(wire.encode(wire.FLAG_RESPONSE, f.seq, f.cmd, 0, b"{}", ver=wire.VERSION + 1)
                            for f in self.dec.feed(data))

    token.server = Future()
    with pytest.raises(sclient.ProtocolError, match=f"v{wire.VERSION + 1}, this bztoken speaks v{wire.VERSION}") as e:
        _client(token).hello()
    assert "update bztoken" in e.value.hint


def test_token_answers_an_older_client_with_its_version(token):
    c = _client(token)
    line = wire.encode(0, 1, wire.HELLO, ver=0)
    c.t.write(line)
    f = None
    for _ in range(20):
        fs = wire.Decoder().feed(c.t.read(0.2))
        if fs:
            f = fs[0]
            break
    assert f is not None and f.status == wire.E_VERSION and f.payload == bytes([wire.VERSION])


def test_diagnosis_export_needs_auth_and_the_button(token):
    today = ids.day_of(token.ctx.clock.now_ms())
    keys = {d: token.ctx.keystore.key_for(d) for d in range(today - 2, today + 1)}
    c = _client(token)
    c.login(SECRET)
    with pytest.raises(sclient.BzError, match="button"):
        c.keys(today - 5, today, wait_s=0.5, poll_s=0.1)
    token.ctx.presses = 1
    got = c.keys(today - 5, today, wait_s=2, poll_s=0.05)
    assert dict(got) == keys


def test_provision_only_when_unprovisioned_or_authenticated(tmp_path):
    ctx = TokenCtx(str(tmp_path / "token"), None, None)
    with PtyToken(ctx) as tok:
        c = _client(tok)
        assert c.hello()["provisioned"] is False
        c.provision("BZT-7", SECRET, {"profile": "eco"})
        assert ctx.secret == SECRET and ctx.config.token_id == "BZT-7" and ctx.config.profile == "eco"
        assert (tmp_path / "token" / "secret").read_bytes() == SECRET
        c.hello()
        with pytest.raises(sclient.Refused) as e:
            c.provision("BZT-8", b"\x07" * 32)
        assert e.value.status == wire.E_STATE and ctx.secret == SECRET
        c.login(SECRET)
        c.provision("BZT-7", b"\x07" * 32)  # re-keyed: the new secret travels wrapped
        assert ctx.secret == b"\x07" * 32
        c.login(b"\x07" * 32)
        c.wipe("all")
        assert ctx.secret is None and c.hello()["provisioned"] is False


def test_drift_is_interpolated_between_syncs():
    syncs = [
        {"host_ms": 0, "offset_ms": 0, "rtt_ms": 1, "residual_ms": 0, "clock_valid": 1},
        {"host_ms": 1_000_000, "offset_ms": 1000, "rtt_ms": 1, "residual_ms": 2, "clock_valid": 1},
        {"host_ms": 2_000_000, "offset_ms": 500_000_000, "rtt_ms": 1, "residual_ms": 0, "clock_valid": 0},
    ]
    d = Drift(syncs)
    assert d.correction(0) == 0
    assert d.correction(500_500) == -500  # halfway: half the error found at the second sync
    assert d.correction(1_001_000) == -1000
    assert d.correction(-5) == 0  # before the first sync: nothing to interpolate from
    assert d.correction(1_500_000) == 0  # a period ending in a lost clock: no correction


def test_pull_applies_and_records_the_correction(tmp_path, db):
    clock = SimClock()
    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET, clock)
    with PtyToken(ctx) as tok:
        pull(_client(tok), db, lambda tid: SECRET)  # first sync: nothing to pull
        t = clock.now_ms() + 2000  # a record stamped after the first sync ...
        day = ids.day_of(t)
        ctx.logstore.append(day, [records.encode(day, ids.slot_of(t), 1, b"c" * 12, t, t, 1, -60, -60, -60)])
        clock.offset_ms += 30_000  # ... by a clock that then drifted 30 s
        s = pull(_client(tok), db, lambda tid: SECRET)
    (row,) = db.encounters(TID)
    expected = Drift(db.syncs(TID)).correction(row["raw_first_seen_ms"])
    assert row["correction_ms"] == expected < 0
    assert s["correction_ms"] == {"min": expected, "max": expected}
    assert s["clock"]["offset_ms"] > 29_000


def test_cli_status_time_and_pull_json(token, tmp_path, capsys):
    _fill(token.ctx, days=1, per_day=10)
    assert cli.main(["status", "--port", token.port, "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["token_id"] == TID and st["unconfirmed_bytes"] == 10 * records.RECORD_SIZE and "nonce" not in st["hello"]
    assert cli.main(["time", "--port", token.port, "--json"]) == 0
    assert abs(json.loads(capsys.readouterr().out)["offset_ms"] - 4000) < 200
    sf = tmp_path / "secret.hex"
    sf.write_text(SECRET.hex())
    dbp = tmp_path / "cli.db"
    assert cli.main(["pull", "--port", token.port, "--db", str(dbp), "--secret-file", str(sf), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["records"] == 10 and s["status"] == "complete"
    assert cli.main(["time", "--port", token.port, "--set", "--db", str(dbp), "--secret-file", str(sf)]) == 0
    assert "set, now" in capsys.readouterr().out
    sf.write_bytes(b"\x09" * 32)
    assert cli.main(["pull", "--port", token.port, "--db", str(dbp), "--secret-file", str(sf)]) == 3
    assert "refused the secret" in capsys.readouterr().err


def test_cli_port_that_does_not_exist(tmp_path, capsys):
    assert cli.main(["status", "--port", str(tmp_path / "nope")]) == 4
    assert "cannot open port" in capsys.readouterr().err


def test_day_dropped_by_the_token_during_the_pull_is_reported(token, db):
    want = _fill(token.ctx, days=3, per_day=200)
    first = token.ctx.logstore.days()[0]
    c = _client(token)
    orig = c.read

    def read(day, off, n):
        if day == first:
            token.ctx.logstore.purge(first + token.ctx.logstore.retention_days)  # retention ran meanwhile
        return orig(day, off, n)

    c.read = read
    s = pull(c, db, lambda tid: SECRET)
    assert s["status"] == "complete" and s["vanished_days"] == [first]
    assert set(_stored(db)) == {k for k in want if k[0] != first}
    assert s["days_confirmed"] == 2


def test_cli_wipe_needs_the_secret_and_yes(token, tmp_path, capsys):
    _fill(token.ctx, days=2, per_day=10)
    sf = tmp_path / "secret"
    sf.write_bytes(SECRET)
    assert cli.main(["wipe", "--port", token.port, "--secret-file", str(sf)]) == 2
    assert "--yes" in capsys.readouterr().err and token.ctx.logstore.days()
    assert cli.main(["wipe", "--port", token.port, "--secret-file", str(sf), "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["wiped"] == "logs"
    assert token.ctx.logstore.days() == [] and token.ctx.secret == SECRET
    assert cli.main(["wipe", "--port", token.port, "--secret-file", str(sf), "--yes", "--all"]) == 0
    assert token.ctx.secret is None


def test_cli_pull_takes_the_secret_from_the_registry(token, tmp_path, capsys, monkeypatch):
    registry = pytest.importorskip("provisioning.registry")
    dbp = tmp_path / "station.db"
    with registry.Registry(dbp, "pass phrase", kdf_n=2**10) as reg:
        reg.add_token(TID, SECRET)
    _fill(token.ctx, days=1, per_day=7)
    monkeypatch.delenv("BZTOKEN_PASSPHRASE", raising=False)
    assert cli.main(["pull", "--port", token.port, "--db", str(dbp)]) == 2
    assert "passphrase" in capsys.readouterr().err
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", "pass phrase")
    assert cli.main(["pull", "--port", token.port, "--db", str(dbp), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new_rows"] == 7
    with StationDB(dbp) as db:
        assert len(db.encounters(TID)) == 7


def test_socket_and_loop_urls(tmp_path, capsys):
    import socket
    import threading

    from bzfw.syncserver import SyncServer

    ctx = TokenCtx(str(tmp_path / "token"), TID, SECRET)
    _fill(ctx, days=1, per_day=3)
    srv = SyncServer(ctx)
    lsock = socket.create_server(("127.0.0.1", 0))
    port = lsock.getsockname()[1]

    def serve():
        conn, _ = lsock.accept()
        with conn:
            while data := conn.recv(4096):
                conn.sendall(srv.feed(data))

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    assert cli.main(["status", "--port", f"socket://127.0.0.1:{port}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unconfirmed_bytes"] == 3 * records.RECORD_SIZE
    th.join(timeout=5)
    lsock.close()
    # loop:// hears only its own requests, which are not answers.
    assert cli.main(["status", "--port", "loop://", "--timeout", "0.2"]) == 4
    assert "no answer from the token to hello" in capsys.readouterr().err
