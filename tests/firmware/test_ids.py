# Bluezone ID derivation against the known-answer vectors, on the MicroPython unix port.
from fwtest import eq, hexu, raises, unhex, vectors

from bzfw import ids

V = vectors()


def test_constants():
    c = V["constants"]
    eq(ids.SALT, c["salt_ascii"].encode(), "salt")
    eq(ids.SLOTS_PER_DAY, c["slots_per_day"], "slots")
    eq(ids.SLOT_MS, c["slot_ms"], "slot ms")


def test_chain_days_all_96_ids():
    ch = V["chain"]
    base = unhex(ch["base_key"])
    for d in ch["days"]:
        k = ids.chain_daily_key(base, ch["base_day_s"], d["day_start_s"])
        eq(hexu(k), d["daily_key"], "daily key")
        eq(hexu(ids.first_subkey(k)), d["s0"], "s0")
        got = [hexu(x) for x in ids.day_ids(k)]
        eq(got, d["ids"], "ids of day %d" % d["day_start_s"])


def test_chain_id_at():
    ch = V["chain"]
    for row in ch["id_at"]:
        got = ids.chain_id_at(unhex(ch["base_key"]), ch["base_day_s"], row["ts_ms"])
        eq(hexu(got), row["id"], "id_at")


def test_captured_real_phone_ids():
    for row in V["captured"]["rows"]:
        got = ids.chain_id_at(unhex(row["base_key"]), row["base_day_s"], row["ts_ms"])
        eq(hexu(got), row["id"], "captured %d" % row["ts_ms"])


def test_daily_key_scheme_equals_chain_for_that_day():
    ch = V["chain"]
    d = ch["days"][3]
    k = unhex(d["daily_key"])
    for slot in (0, 1, 54, 95):
        ts = d["day_start_s"] * 1000 + slot * ids.SLOT_MS + 1234
        eq(hexu(ids.daily_id_at(k, ts)), d["ids"][slot], "slot %d" % slot)


def test_slot_edges():
    day = 1596844800000
    eq(ids.slot_of(day), 0, "midnight")
    eq(ids.slot_of(day - 1), 95, "just before midnight")
    eq(ids.slot_of(day + ids.SLOT_MS - 1), 0, "end of slot 0")
    eq(ids.slot_of(day + ids.SLOT_MS), 1, "start of slot 1")
    eq(ids.day_of(day), 18482, "day number")


def test_bad_inputs():
    raises(ValueError, ids.day_ids, b"\x00" * 31)
    raises(ValueError, ids.slot_id, b"\x00" * 32, 96)
    raises(ValueError, ids.chain_daily_key, b"\x00" * 32, 86400, 0)
