"""Exposure inputs: push payloads (also nested in InfoF/DataContent strings), InfoF uploads, our own key
exports; the streaming reader; errors that name the file and the entry."""

import json

import numpy as np
import pytest
from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from bzfw import ids
from host_tools.errors import UsageError
from host_tools.match import exposures
from host_tools.match.exposures import keys_to_push_entries, read_entries

K0 = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084"
E0 = {"daily_key": K0, "time_start": 1596844800, "max": 96, "time_end": 1596931200}


def _write(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return p


def test_push_payload_and_key_days(tmp_path):
    p = _write(tmp_path, "push.json", {"data": [E0]})
    (e,) = read_entries([p])
    assert (e.daily_key.hex().upper(), e.time_start, e.max, e.time_end) == (K0, 1596844800, 96, 1596931200)
    kds = list(e.key_days())
    # the phones' walk: t <= time_end includes the window starting at time_end, on the next day's key
    assert [kd.valid for kd in kds] == [96, 1]
    assert kds[1].key == ids.next_key(bytes.fromhex(K0))
    assert kds[1].base_ms == 1596931200000 and kds[0].slot_ms == 900_000


def test_nested_infof_string_and_fcm_datacontent(tmp_path):
    push = json.dumps({"data": [E0]})
    a = _write(tmp_path, "a.json", {"FindGUID": "x", "Numberdays": 14, "InfoF": push})
    b = _write(tmp_path, "b.json", {"Type": "KiemTraLichSuTiepXuc",
                                   "DataContent": json.dumps({"FindGUID": "x", "Numberdays": 14, "InfoF": push})})
    got = [[(e.daily_key, e.time_start, e.time_end) for e in read_entries([f])] for f in (a, b)]
    assert got[0] == got[1] == [(bytes.fromhex(K0), 1596844800, 1596931200)]


def test_single_infof_upload(tmp_path):
    p = _write(tmp_path, "infof.json", {"base_id": K0, "time": 1596844800, "daily_key": K0, "time_start": 1596844800})
    (e,) = read_entries([p])
    assert e.time_end == 1596844800 + 14 * 86400 - 1 and e.n_slots == 14 * 96
    (e3,) = read_entries([p], days=3)
    kds = list(e3.key_days())
    assert len(kds) == 3 and all(kd.valid == 96 for kd in kds)
    assert kds[2].key == ids.chain_daily_key(bytes.fromhex(K0), 1596844800, 1596844800 + 2 * 86400)


def test_export_keys_format_never_walks_the_chain(tmp_path):
    keys = {18500: b"\x01" * 32, 18502: b"\x02" * 32}
    doc = keys_to_push_entries(keys)
    assert [d["time_start"] for d in doc["data"]] == [18500 * 86400, 18502 * 86400]
    p = _write(tmp_path, "mine.json", doc)
    es = list(read_entries([p]))
    assert [len(list(e.key_days())) for e in es] == [1, 1]
    assert [e.n_slots for e in es] == [96, 96]
    with pytest.raises(UsageError, match="twice"):
        keys_to_push_entries([(1, b"\0" * 32), (1, b"\1" * 32)])
    with pytest.raises(UsageError, match="32 bytes"):
        keys_to_push_entries({1: b"\0" * 31})


@pytest.mark.parametrize(
    "entry, message",
    [
        (dict(E0, daily_key=K0[:-2]), "entry 1: daily_key must be 32 bytes"),
        (dict(E0, daily_key="zz" * 32), "entry 1: daily_key is not valid hex"),
        (dict(E0, time_end=1596844799), "entry 1: time_end 1596844799 is before time_start"),
        (dict(E0, max=7), "entry 1: max 7 does not divide a day"),
        (dict(E0, max=0), "entry 1: max 0 does not divide"),
        (dict(E0, time_start="soon"), "entry 1: time_start must be an integer"),
        ({"daily_key": K0}, "entry 1: missing 'time_start'"),
        ([1, 2], "entry 1: an entry must be a JSON object"),
        (dict(E0, time_end=1596844800 + 400 * 86400), "spans 400 days"),
    ],
)
def test_bad_entries_named(tmp_path, entry, message):
    ok = dict(E0, time_start=1596844800 - 86400, time_end=1596844800 - 1)
    p = _write(tmp_path, "bad.json", {"data": [ok, entry]})
    with pytest.raises(UsageError, match=message) as ei:
        list(read_entries([p]))
    assert str(p) in str(ei.value) and ei.value.exit_code == 2


def test_duplicates_and_malformed(tmp_path):
    p = _write(tmp_path, "dup.json", {"data": [E0, dict(E0, time_end=1596844800 + 3600)]})
    with pytest.raises(UsageError, match="entry 1: duplicate of .*entry 0"):
        list(read_entries([p]))
    q = _write(tmp_path, "q.json", {"data": [E0]})
    with pytest.raises(UsageError, match="duplicate"):
        list(read_entries([q, q]))
    for text in ('{"data": [' + json.dumps(E0) + ", {", '{"data": [' + json.dumps(E0) + " " + json.dumps(E0) + "]}",
                 '{"data": [}', "{\"InfoF\": \"{nope\"}", "[1", "", "\xff"):
        p = _write(tmp_path, "m.json", text)
        with pytest.raises(UsageError, match="m.json"):
            list(read_entries([p]))
    with pytest.raises(UsageError, match="not an exposure list"):
        list(read_entries([_write(tmp_path, "o.json", {"hello": 1})]))
    with pytest.raises(UsageError, match="cannot read"):
        list(read_entries([tmp_path / "missing.json"]))


@settings(max_examples=1000 if DEEP else 60)
@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 20000), st.sampled_from([96, 144, 1]),
                          st.integers(0, 3 * 86400)), max_size=30, unique_by=lambda t: (t[0], t[1])),
       st.sampled_from(["", " ", "\n  "]), st.booleans())
def test_typed_decoder_equals_json_module_and_columns_equal_objects(tmp_path_factory, items, ws, extra):
    data = [{"daily_key": k.hex(), "time_start": d * 86400, "max": m, "time_end": d * 86400 + span}
            for k, d, m, span in items]
    if extra:  # fields phones do not know are ignored, as phones ignore them
        data = [dict(x, note={"a": [1, 2]}) for x in data]
    text = "{" + ws + '"data":' + ws + "[" + ("," + ws).join(json.dumps(x) for x in data) + ws + "]" + ws + "}"
    p = tmp_path_factory.mktemp("s") / "big.json"
    p.write_text(text)
    ex = exposures.read_exposures([p])
    got = [e.to_json() for e in ex]
    assert got == [{k: (v.upper() if k == "daily_key" else v) for k, v in x.items() if k != "note"}
                   for x in json.loads(text)["data"]]
    # the columnar key-days are the objects' key-days
    kds = ex.key_days()
    want = [kd for e in ex for kd in e.key_days()]
    assert len(kds) == len(want)
    assert [(int(kds.entry[i]), kds.keys[32 * i : 32 * i + 32], int(kds.base_ms[i]), int(kds.slot_ms[i]),
             int(kds.slots[i]), int(kds.valid[i])) for i in range(len(kds))] == [
        (k.entry, k.key, k.base_ms, k.slot_ms, k.slots, k.valid) for k in want]
    # take(): all of them in order is the same key-days; another order or a part is those rows
    assert kds.take(np.arange(len(kds))) is kds
    back = kds.take(np.arange(len(kds))[::-1])
    assert [(int(back.entry[i]), back.keys[32 * i : 32 * i + 32], int(back.valid[i])) for i in range(len(back))] == [
        (k.entry, k.key, k.valid) for k in reversed(want)]


@settings(max_examples=2000 if DEEP else 100)
@given(st.one_of(
    st.text(max_size=200),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=70),
                 lambda c: st.lists(c, max_size=4) | st.dictionaries(
                     st.sampled_from(["data", "daily_key", "time_start", "max", "time_end", "InfoF", "DataContent",
                                      "base_id", "time", "x"]), c, max_size=5), max_leaves=12).map(json.dumps)))
def test_any_input_is_entries_or_one_usage_error(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("x") / "exp.json"
    p.write_text(text, encoding="utf-8")
    try:
        for e in read_entries([p]):
            assert len(e.daily_key) == 32 and e.time_end >= e.time_start and 86400 % e.max == 0
    except UsageError as err:
        assert str(p) in str(err) and "\n" not in str(err)


@given(st.lists(st.tuples(st.sampled_from(range(4)), st.sampled_from(range(3)), st.sampled_from([0, 1])), max_size=30))
def test_duplicate_check_finds_the_first_repeat(specs):
    """_no_duplicates (a hash sort, then an exact pass over entries whose hash repeats) names the same pair as the
    plain rule: the first entry whose (daily_key, time_start) came before, and that earlier entry. Keys share
    their first 16 bytes often (a prefix from 4), so hashes repeat without the entries being equal too (the
    hash reads bytes 0-15 and time_start)."""
    prefixes = [bytes([p]) * 16 for p in range(4)]
    keys = [prefixes[p] + bytes([tail]) * 16 for p, tail, _ in specs]
    t0 = [1596844800 + d * 86400 for _, _, d in specs]
    n = len(specs)
    ex = exposures.Exposures(["f"], np.zeros(n, np.int32), np.arange(n, dtype=np.int64), b"".join(keys),
                             np.array(t0, np.int64), np.full(n, 96, np.int64), np.array(t0, np.int64) + 86399)
    seen, want = {}, None
    for i, kt in enumerate(zip(keys, t0, strict=True)):
        if kt in seen:
            want = f"f: entry {i}: duplicate of f: entry {seen[kt]} "
            break
        seen[kt] = i
    if want is None:
        exposures._no_duplicates(ex)
    else:
        with pytest.raises(UsageError) as ei:
            exposures._no_duplicates(ex)
        assert str(ei.value).startswith(want)
