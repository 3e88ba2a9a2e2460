"""Property tests of the advert codec: the parser never raises, and never invents an ID."""

from hypothesis import given
from hypothesis import strategies as st

from bzfw import adv

ids12 = st.binary(min_size=12, max_size=12)


@given(st.binary(max_size=80))
def test_parse_never_raises_on_random_bytes(data):
    kind, bz = adv.parse(data)
    assert kind in adv.KIND_NAMES
    assert bz is None or (kind == adv.KIND_ANDROID and len(bz) == 12)


@given(ids12)
def test_build_then_parse_round_trips(bz):
    payload = adv.build(bz)
    assert len(payload) <= 31
    assert adv.parse(payload) == (adv.KIND_ANDROID, bz)


@given(ids12, st.data())
def test_mutated_adverts_never_raise_and_ids_are_real(bz, data):
    payload = bytearray(adv.build(bz))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip" and payload:
            i = data.draw(st.integers(0, len(payload) - 1))
            payload[i] ^= data.draw(st.integers(1, 255))
        elif op == "cut" and payload:
            i = data.draw(st.integers(0, len(payload)))
            del payload[i:]
        else:
            i = data.draw(st.integers(0, len(payload)))
            payload[i:i] = data.draw(st.binary(min_size=1, max_size=3))
    kind, got = adv.parse(bytes(payload))
    if got is not None:
        # An ID only ever comes out of a well-formed record: the 12 bytes after B5 22 in the packet.
        assert len(got) == 12
        assert bytes(payload).find(b"\xb5\x22" + got) >= 0


@given(ids12, st.binary(max_size=8))
def test_trailing_garbage_with_valid_structure_still_parses(bz, extra):
    # Well-formed extra AD structures (type 0x16 service data) do not hide the Bluezone record.
    payload = adv.build(bz) + bytes([len(extra) + 1, 0x16]) + extra
    assert adv.parse(payload) == (adv.KIND_ANDROID, bz)
