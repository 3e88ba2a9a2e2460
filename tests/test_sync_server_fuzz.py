"""Hypothesis against the token's SyncServer on CPython (real LogStore/KeyStore): any bytes, any well-formed
frame with any command and payload, before and after authentication: it never raises, answers every
request frame exactly once, and never hands out log bytes or keys without a session."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bzfw import ids, records, syncserver, wire
from host_tools.sync.ptytoken import SimClock, TokenCtx

SECRET = bytes(range(32))


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    c = TokenCtx(str(tmp_path_factory.mktemp("fuzz") / "tok"), "BZT-F", SECRET, SimClock())
    day = ids.day_of(c.clock.now_ms())
    t = day * ids.DAY_MS
    c.logstore.append(day, [records.encode(day, 0, 1, bytes([i]) * 12, t, t, 1, -60, -60, -60) for i in range(20)])
    c.keystore.key_for(day)
    return c


payloads = st.one_of(
    st.binary(max_size=80),
    st.builds(lambda d: json.dumps(d).encode(), st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
        lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.sampled_from(["what", "token_id", "secret", "config"]),
                                                            ch, max_size=4), max_leaves=8)),
    st.builds(wire.pack_read, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 65535)),
    st.builds(wire.pack_confirm, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
)
requests = st.tuples(st.integers(0, 0xFFFF), st.integers(0, 20), payloads)


def _login(srv):
    out = wire.Decoder().feed(srv.feed(wire.encode(0, 1, wire.HELLO)))
    nt = bytes.fromhex(json.loads(out[0].payload)["nonce"])
    nh = os.urandom(16)
    srv.feed(wire.encode(0, 2, wire.AUTH, 0, nh + syncserver.host_proof(SECRET, nt, nh, "BZT-F")))
    return syncserver.session_key(SECRET, nt, nh)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(requests, max_size=12), st.binary(max_size=200))
def test_any_request_unauthenticated(ctx, reqs, noise):
    srv = syncserver.SyncServer(ctx)
    dec = wire.Decoder()
    srv.feed(noise)  # must not raise (what it answers, if noise held a frame by chance, is not checked)
    log = b"".join(ctx.logstore.read(d, 0, 1 << 20) for d in ctx.logstore.days())
    for seq, cmd, payload in reqs:
        if cmd in (wire.PROVISION, wire.WIPE):
            continue  # covered below with a session; unauthenticated they are refused (test_sync_pty)
        answers = dec.feed(srv.feed(wire.encode(0, seq, cmd, 0, payload)))
        assert len(answers) == 1 and answers[0].seq == seq and answers[0].cmd == cmd
        a = answers[0]
        if cmd in (wire.READ, wire.LIST_DAYS, wire.KEYS, wire.CONFIRM, wire.TIME_SET):
            assert a.status == wire.E_AUTH_REQUIRED
        assert log[:24] not in a.payload


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(requests, max_size=12))
def test_any_request_in_a_session(ctx, reqs):
    srv = syncserver.SyncServer(ctx)
    key = _login(srv)
    dec = wire.Decoder()
    seq = 2
    for _, cmd, payload in reqs:
        if cmd in (wire.WIPE, wire.PROVISION, wire.TIME_SET):
            continue  # would change the shared token; their refusals are tested elsewhere
        seq += 1
        answers = dec.feed(srv.feed(syncserver.seal_request(key, seq, cmd, payload)))
        assert len(answers) == 1
        a = answers[0]
        assert a.status in wire.STATUS_NAMES
        if cmd not in (wire.HELLO, wire.BYE) and srv.authenticated:
            assert syncserver.open_response(key, a) is not None  # tagged, and decrypts
        if cmd in (wire.HELLO, wire.BYE):
            key = _login(srv)
            seq = 2


@pytest.mark.parametrize("cmd", [wire.WIPE, wire.PROVISION])
@pytest.mark.parametrize("payload", [b"[1, 2]", b"\xff\xfe", b"{", b'{"what": "everything"}', b"7",
                                     b'{"token_id": 5, "secret": "00"}', b'{"token_id": "X", "secret": "zz"}',
                                     b'{"token_id": "X", "secret": "' + b"ab" * 32 + b'", "config": {"profile": 1}}'])
def test_malformed_wipe_and_provision_change_nothing(tmp_path, cmd, payload):
    ctx = TokenCtx(str(tmp_path / "tok"), "BZT-F", SECRET, SimClock())
    day = ids.day_of(ctx.clock.now_ms())
    t = day * ids.DAY_MS
    ctx.logstore.append(day, [records.encode(day, 0, 1, b"x" * 12, t, t, 1, -60, -60, -60)])
    srv = syncserver.SyncServer(ctx)
    key = _login(srv)
    (a,) = wire.Decoder().feed(srv.feed(syncserver.seal_request(key, 9, cmd, payload)))
    assert a.status == wire.E_BAD_REQUEST, a.payload
    assert ctx.secret == SECRET and ctx.logstore.days() == [day] and ctx.config.token_id == "BZT-F"
