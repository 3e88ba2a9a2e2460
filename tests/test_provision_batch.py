"""Provisioning over the sync protocol: one token, a batch with failures, reruns, labels.

Tokens here are the real bzfw.syncserver.SyncServer on a pty (host_tools.sync.ptytoken); the firmware on
the MicroPython unix port (virtual tokens) is in test_provision_virtual.py."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bzfw import config as fwconfig
from host_tools.cli import main
from host_tools.errors import LinkError, UsageError
from host_tools.stationdb import StationDB
from host_tools.sync.ptytoken import PtyToken, TokenCtx
from provisioning import batch
from provisioning.registry import Registry

PW = "station passphrase 1"


@pytest.fixture
def station(tmp_path, monkeypatch):
    db = tmp_path / "station.db"
    Registry(db, PW, kdf_n=2**10).close()  # a cheap KDF, chosen when the registry is created
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    monkeypatch.setenv("BZTOKEN_DB", str(db))
    return db


@pytest.fixture
def tokens(tmp_path):
    made = []

    def make(n):
        for _ in range(n):
            made.append(PtyToken(TokenCtx(str(tmp_path / f"tok{len(made)}"), None, None)))
        return made[-n:]

    yield make
    for t in made:
        t.close()


def test_provision_one_token(station, tokens, capsys):
    (tok,) = tokens(1)
    rc = main(["provision", "--port", tok.port, "--wearer", "Nguyễn Văn An", "--ref", "HN-1",
               "--board", "esp32c3-supermini", "--profile", "eco", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    res = json.loads(out)
    assert res["provisioned"] == 1
    tid = res["tokens"][0]["token_id"]
    with Registry(station, PW) as reg:
        t = reg.token(tid)
        assert (t["status"], t["wearer_ref"], t["wearer_name"], t["profile"]) == ("provisioned", "HN-1",
                                                                                  "Nguyễn Văn An", "eco")
        assert reg.secret_for(tid) == tok.ctx.secret  # the token holds the registry's secret
    assert tok.ctx.config.token_id == tid and tok.ctx.config.profile == "eco"
    assert tok.ctx.config.board == "esp32c3-supermini"
    assert tok.ctx.clock.is_set()
    with StationDB(station) as db:  # the clock setting is the token's first sync
        (s,) = db.syncs(tid)
        assert s["residual_ms"] is not None and abs(s["residual_ms"]) < 1000 and s["clock_valid"] == 0
    # the same wearer again: refused (exit 2) without touching the port
    rx = tok.rx
    assert main(["provision", "--port", tok.port, "--wearer", "Nguyễn Văn An", "--ref", "HN-1"]) == 2
    assert "already has token" in capsys.readouterr().err and tok.rx == rx


def test_a_provisioned_token_is_not_taken_over(station, tokens, capsys):
    (tok,) = tokens(1)
    assert main(["provision", "--port", tok.port, "--wearer", "A", "--ref", "R-A"]) == 0
    secret = tok.ctx.secret
    rc = main(["provision", "--port", tok.port, "--wearer", "B", "--ref", "R-B"])
    err = capsys.readouterr().err
    assert rc == 1 and "already provisioned as BZ-" in err
    assert tok.ctx.secret == secret
    with Registry(station, PW) as reg:  # nothing was drawn for B
        assert [t["wearer_ref"] for t in reg.tokens()] == ["R-A"]


def test_wrong_passphrase_and_missing_port(station, tokens, capsys, monkeypatch):
    (tok,) = tokens(1)
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", "not the station's")
    assert main(["provision", "--port", tok.port, "--wearer", "A"]) == 3
    assert tok.rx == 0
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    assert main(["provision", "--wearer", "A"]) == 2
    assert main(["provision", "--port", "/dev/nonexistent-tty", "--wearer", "A"]) == 4
    assert "cannot open port" in capsys.readouterr().err


def test_batch_failure_does_not_stop_it_and_rerun_finishes(station, tokens, tmp_path, capsys):
    toks = tokens(5)
    toks[2].kill()  # a pulled cable
    csv = tmp_path / "wearers.csv"
    lines = ["name,ref,port"] + [f"Wearer {i},W-{i},{t.port}" for i, t in enumerate(toks)]
    csv.write_text("\n".join(lines) + "\n")
    rc = main(["provision", "--batch", str(csv), "--json"])
    out, err = capsys.readouterr()
    assert rc == 5, err
    res = json.loads(out)
    assert (res["provisioned"], res["failed"], res["skipped"]) == (4, 1, 0)
    (failed,) = [o for o in res["tokens"] if o["status"] == "failed"]
    assert failed["ref"] == "W-2" and failed["error"] and "W-2" in err
    # the token never answered: nothing was drawn for it
    assert failed["token_id"] is None
    with Registry(station, PW) as reg:
        assert len(reg.tokens()) == 4 and reg.wearer("W-2") is not None
    # replace the broken token; the rerun skips the four done ones without touching their ports
    fresh = tokens(1)[0]
    csv.write_text("\n".join(lines[:3] + [f"Wearer 2,W-2,{fresh.port}"] + lines[4:]) + "\n")
    before = [t.rx for t in toks]
    rc = main(["provision", "--batch", str(csv), "--json"])
    res2 = json.loads(capsys.readouterr()[0])
    assert rc == 0 and (res2["provisioned"], res2["skipped"], res2["failed"]) == (1, 4, 0)
    assert [t.rx for i, t in enumerate(toks) if i != 2] == [b for i, b in enumerate(before) if i != 2]
    redone = [o for o in res2["tokens"] if o["ref"] == "W-2"][0]
    with Registry(station, PW) as reg:
        assert reg.secret_for(redone["token_id"]) == fresh.ctx.secret
        assert len(reg.tokens("provisioned")) == 5 and len({t.ctx.secret for t in toks if t.ctx.secret}) == 4


def test_crash_after_the_token_took_its_secret_is_finished_by_a_rerun(station, tokens):
    (tok,) = tokens(1)
    calls = {"n": 0}

    def flaky(port):
        client = batch.open_client(port)
        if calls["n"] == 0:
            def boom(ms):
                raise LinkError("port lost")
            client.time_set = boom
        calls["n"] += 1
        return client

    row = batch.WearerRow(name="C", ref="R-C")
    with Registry(station, PW) as reg:
        with pytest.raises(LinkError):
            batch.provision_one(reg, row, tok.port, connect=flaky)
        (t,) = reg.tokens()
        assert t["status"] == "pending" and tok.ctx.secret == reg.secret_for(t["token_id"])
        out = batch.provision_one(reg, row, tok.port, connect=flaky)
        assert out.status == "provisioned" and out.token_id == t["token_id"]
        assert reg.token(t["token_id"])["status"] == "provisioned"


@pytest.mark.parametrize("text,msg", [
    ("", "empty"),
    ("ref,port\nx,y\n", "needs a 'name' column"),
    ("name,colour\nA,red\n", "unknown column 'colour'"),
    ("name,ref\nA,1\nB,1\n", "line 3: wearer '1' already on line 2"),
    ("name\nAn\nAn\n", "already on line 2"),
    ("name,ref\n,1\n", "line 2: no name"),
    ("name,token_id\nA,lower-case\n", "bad token ID"),
    ("name\n\n", "no wearers"),
])
def test_bad_csv_refused_before_anything(text, msg):
    with pytest.raises(Exception, match=msg) as e:
        batch.read_csv(text)
    assert getattr(e.value, "exit_code", None) == 2


def test_batch_needs_a_port_for_every_row(station, tmp_path, capsys):
    csv = tmp_path / "w.csv"
    csv.write_text("name,port\nA,\n")
    assert main(["provision", "--batch", str(csv)]) == 2
    assert "no port for A" in capsys.readouterr().err
    with Registry(station, PW) as reg:
        assert reg.tokens() == [] and reg.wearers() == []


_name = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s)


@given(st.lists(st.tuples(_name, st.one_of(st.none(), _name)), min_size=1, max_size=12))
def test_csv_reader_round_trip(people):
    import csv as _csv
    import io

    buf = io.StringIO()
    w = _csv.writer(buf)
    w.writerow(["name", "ref"])
    for name, ref in people:
        w.writerow([name, ref or ""])
    refs = [ref or name for name, ref in people]
    try:
        rows = batch.read_csv(buf.getvalue())
    except UsageError as e:
        assert len(set(refs)) < len(refs) and "already on line" in str(e)
        return
    assert [(r.name, r.ref) for r in rows] == [(n, ref or n) for n, ref in people]


def test_one_port_batch_asks_before_each_token(station, tokens):
    (tok,) = tokens(1)
    asked = []
    rows = batch.read_csv("name,ref\nA,1\nB,2\n")

    def swap(row, port):  # the health worker swaps tokens on the one port; here the second never comes
        asked.append((row.ref, port))
        if row.ref == "2":
            tok.kill()

    with Registry(station, PW) as reg:
        res = batch.run_batch(reg, rows, port=tok.port, before_each=swap)
    assert asked == [("1", tok.port), ("2", tok.port)]
    assert [o.status for o in res.outcomes] == ["provisioned", "failed"]


@pytest.mark.parametrize("default", [fwconfig.DEFAULT_PROFILE, "eco"])
def test_without_profile_the_firmwares_default_is_provisioned(station, tokens, capsys, monkeypatch, default):
    # one source of truth: whatever bzfw.config.DEFAULT_PROFILE says is what a token gets without --profile
    monkeypatch.setattr(fwconfig, "DEFAULT_PROFILE", default)
    (tok,) = tokens(1)
    assert main(["provision", "--port", tok.port, "--wearer", "Trần Thị Bình", "--json"]) == 0
    tid = json.loads(capsys.readouterr()[0])["tokens"][0]["token_id"]
    assert tok.ctx.config.profile == default
    with Registry(station, PW) as reg:
        assert reg.token(tid)["profile"] == default
