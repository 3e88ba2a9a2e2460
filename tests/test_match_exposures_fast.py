"""The exposure reader's fast paths give what the plain ones give: the one-pass check of every daily key (all 64
hex digits) against a key-by-key check, on Hypothesis keys with bad lengths, whitespace and non-hex characters;
and a large file read into a huge-page-aligned buffer against the same bytes read plainly, valid or not (broken
JSON, a bad byte, a bad key deep inside), with the same one-line errors."""

import json
import random
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools.errors import UsageError
from host_tools.match import exposures

DAY = 18_600 * 86_400


def _reference_keys(hexes: list[str], name: str) -> bytes:
    """The daily keys checked one by one (the rule the fast path must keep)."""
    out = []
    for i, h in enumerate(hexes):
        try:
            k = bytes.fromhex(h.strip())
        except ValueError:
            raise UsageError(f"{name}: entry {i}: daily_key is not valid hex") from None
        if len(k) != 32:
            raise UsageError(f"{name}: entry {i}: daily_key must be 32 bytes (64 hex digits), got {len(k)} bytes")
        out.append(k)
    return b"".join(out)


def _outcome(fn):
    try:
        return fn()
    except UsageError as e:
        return str(e)


hexkey = st.binary(min_size=32, max_size=32).map(lambda b: b.hex())
odd = st.one_of(
    hexkey,
    hexkey.map(str.upper),
    st.text("0123456789abcdefABCDEF \t\n", min_size=60, max_size=68),
    st.tuples(hexkey, st.integers(0, 63), st.sampled_from([" ", "\t", "g", "é", "\n"])).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]),
    hexkey.map(lambda h: f" {h} "),
    hexkey.map(lambda h: h[:-2]),
    hexkey.map(lambda h: h + "00"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(odd, min_size=0, max_size=6))
def test_key_check_equals_key_by_key(hexes):
    rows = [exposures._F0(h, DAY, 96, DAY + 86_399) for h in hexes]
    got = _outcome(lambda: exposures._check(rows, "f")[0])
    assert got == _outcome(lambda: _reference_keys(hexes, "f"))


def _big(tmp_path, n=30_000):
    rng = random.Random(5)
    data = [{"daily_key": rng.randbytes(32).hex(), "time_start": DAY + (i % 14) * 86_400, "max": 96,
             "time_end": DAY + (i % 14) * 86_400 + 86_399} for i in range(n)]
    text = json.dumps({"data": data})
    assert len(text) > 2 * exposures._HUGE
    return text


@pytest.mark.parametrize("spoil", ["none", "truncate", "bad byte", "bad key", "trailing"])
def test_large_file_read_aligned_equals_plain(tmp_path, spoil):
    raw = _big(tmp_path).encode()
    if spoil == "truncate":
        raw = raw[: len(raw) - 100]
    elif spoil == "bad byte":
        raw = raw[:3_000_000] + b"\xff" + raw[3_000_001:]
    elif spoil == "bad key":
        at = raw.index(b'"daily_key": "', 2_500_000) + 20
        raw = raw[:at] + b"zz" + raw[at + 2 :]
    elif spoil == "trailing":
        raw = raw + b" x"
    p = tmp_path / "big.json"
    p.write_bytes(raw)
    assert isinstance(exposures._read_bytes(p), memoryview)
    fast = _outcome(lambda: exposures.read_exposures([p]))
    with mock.patch.object(exposures, "_HUGE", 1 << 40):  # every file read plainly
        assert isinstance(exposures._read_bytes(p), bytes)
        plain = _outcome(lambda: exposures.read_exposures([p]))
    if spoil == "none":
        assert fast.keys == plain.keys and len(fast) == 30_000
        for c in ("time_start", "max", "time_end", "source", "file_index"):
            assert np.array_equal(getattr(fast, c), getattr(plain, c))
    else:
        assert isinstance(fast, str) and fast == plain and str(p) in fast and "\n" not in fast
