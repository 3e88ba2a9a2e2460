"""The Bluezone core (firmware/bzfw) on CPython, against the shared known-answer vectors."""

import pytest

from bzfw import adv, ids


def test_shared_vectors_copy_is_current(vectors):
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2] / "shared" / "vectors" / "bluezone-v2.json"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    import json

    assert json.loads(shared.read_text()) == vectors, "tests/vectors is out of date with ../shared/vectors"


def test_chain_days(vectors):
    ch = vectors["chain"]
    base = bytes.fromhex(ch["base_key"])
    assert len(ch["days"]) == 4
    for d in ch["days"]:
        k = ids.chain_daily_key(base, ch["base_day_s"], d["day_start_s"])
        assert k.hex().upper() == d["daily_key"]
        assert ids.first_subkey(k).hex().upper() == d["s0"]
        assert [x.hex().upper() for x in ids.day_ids(k)] == d["ids"]
        for slot in (0, 17, 95):
            assert ids.slot_id(k, slot).hex().upper() == d["ids"][slot]


def test_id_at_and_captured(vectors):
    ch = vectors["chain"]
    for row in ch["id_at"]:
        assert ids.chain_id_at(bytes.fromhex(ch["base_key"]), ch["base_day_s"], row["ts_ms"]).hex().upper() == row["id"]
    for row in vectors["captured"]["rows"]:
        got = ids.chain_id_at(bytes.fromhex(row["base_key"]), row["base_day_s"], row["ts_ms"])
        assert got.hex().upper() == row["id"]


def test_next_key_walks_the_chain(vectors):
    days = vectors["chain"]["days"]
    for a, b in zip(days, days[1:], strict=False):
        assert ids.next_key(bytes.fromhex(a["daily_key"])).hex().upper() == b["daily_key"]


def test_adverts(vectors):
    for a in vectors["adverts"]:
        kind, bz = adv.parse(bytes.fromhex(a["hex"]))
        assert adv.KIND_NAMES[kind] == a["kind"], a["name"]
        assert (bz.hex().upper() if bz else None) == a["id"], a["name"]
    token = vectors["adverts"][0]
    assert adv.build(bytes.fromhex(token["id"])).hex().upper() == token["hex"]


def test_time_before_base_day_rejected():
    with pytest.raises(ValueError, match="before the base day"):
        ids.chain_id_at(bytes(32), 86400, 1000)
