"""Hypothesis on the sync wire codec: round trips, random chunking, random corruption never accepted."""

from hypothesis import given
from hypothesis import strategies as st

from bzfw import wire

frames = st.builds(
    wire.Frame,
    ver=st.integers(0, 255),
    flags=st.sampled_from([0, wire.FLAG_RESPONSE]),
    seq=st.integers(0, 0xFFFF),
    cmd=st.integers(0, 255),
    status=st.integers(0, 255),
    payload=st.binary(max_size=600),
    tag=st.one_of(st.none(), st.binary(min_size=16, max_size=16)),
)


def _line(f):
    return wire.encode(f.flags, f.seq, f.cmd, f.status, f.payload, f.tag, ver=f.ver)


def _expected(f):
    flags = f.flags | (wire.FLAG_MAC if f.tag is not None else 0)
    return wire.Frame(f.ver, flags, f.seq, f.cmd, f.status, f.payload, f.tag)


def _chunks(data, sizes):
    i = k = 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        yield data[i:i + n]
        i += n
        k += 1


@given(st.lists(frames, min_size=1, max_size=5), st.lists(st.integers(1, 9), min_size=1, max_size=50))
def test_round_trip_in_random_chunks(fs, sizes):
    stream = b"".join(_line(f) for f in fs)
    d = wire.Decoder()
    got = []
    for c in _chunks(stream, sizes):
        got += d.feed(c)
    assert got == [_expected(f) for f in fs]
    assert d.bad == 0


@given(frames)
def test_no_forbidden_byte_inside(f):
    line = _line(f)
    assert not set(line[1:-1]) & (set(wire.ESCAPED) - {wire.ESC})
    assert line[0] == line[-1] == wire.END


@given(st.binary(max_size=300), frames, st.binary(max_size=300))
def test_garbage_around_a_frame_is_skipped(before, f, after):
    d = wire.Decoder()
    got = d.feed(before + _line(f) + after + bytes([wire.END]))
    assert _expected(f) in got
    # Garbage may by chance hold a frame with a good CRC-32 only with probability 2**-32 per candidate.
    assert all(g == _expected(f) for g in got)


@given(frames, st.data())
def test_random_corruption_never_accepted(f, data):
    line = bytearray(_line(f))
    n = data.draw(st.integers(1, 4))
    changed = False
    for _ in range(n):
        i = data.draw(st.integers(0, len(line) - 1))
        x = data.draw(st.integers(1, 255))
        line[i] ^= x
        changed = True
    assert changed
    got = wire.Decoder().feed(bytes(line) + bytes([wire.END]))
    if bytes(line) == _line(f):  # the flips cancelled out
        return
    # A corrupted frame is never delivered as something else; at most the untouched frame survives
    # (a flip that only moved an END around it).
    assert all(g == _expected(f) for g in got)


@given(frames, st.data())
def test_dropped_or_inserted_bytes_never_accepted(f, data):
    line = bytearray(_line(f))
    i = data.draw(st.integers(1, len(line) - 2))
    if data.draw(st.booleans()):
        del line[i]
    else:
        line.insert(i, data.draw(st.integers(0, 255)))
    got = wire.Decoder().feed(bytes(line) + bytes([wire.END]))
    assert all(g == _expected(f) for g in got)


@given(st.binary(max_size=2000), st.lists(st.integers(1, 9), min_size=1, max_size=20))
def test_decoder_never_raises_on_noise(noise, sizes):
    d = wire.Decoder()
    for c in _chunks(noise, sizes):
        for f in d.feed(c):
            assert isinstance(f, wire.Frame)


# -- with encryption on (protocol v2): a session frame round-trips through the line codec, decrypts to what
# was sent, in random chunks, and any change to its ciphertext, tag or header is refused --------------------
from bzfw import seal, syncserver  # noqa: E402


@given(key=st.binary(min_size=32, max_size=32), seq=st.integers(1, 0xFFFF), cmd=st.integers(1, 13),
       status=st.integers(0, 10), payload=st.binary(max_size=wire.MAX_PAYLOAD), cuts=st.lists(st.integers(1, 9)))
def test_encrypted_response_round_trip(key, seq, cmd, status, payload, cuts):
    c = seal.Cipher(seal.enc_key(key))
    body = c.xor(seal.RESPONSE, seq, payload)
    t = syncserver.tag(key, wire.header(wire.VERSION, wire.FLAG_RESPONSE | wire.FLAG_MAC, seq, cmd, status), body)
    line = wire.encode(wire.FLAG_RESPONSE, seq, cmd, status, body, t)
    assert bytes(wire.encode_parts(wire.FLAG_RESPONSE, seq, cmd, status, bytearray(body), t)) == line
    dec = wire.Decoder()
    got, i = [], 0
    for n in cuts * (len(line) // max(1, sum(cuts)) + 1):
        got += dec.feed(line[i:i + n])
        i += n
    got += dec.feed(line[i:])
    (f,) = got
    assert syncserver.open_response(key, f) == payload
    if payload:
        assert body != payload or len(payload) < 4  # encrypted (a short payload may collide by chance)


@given(key=st.binary(min_size=32, max_size=32), seq=st.integers(1, 0xFFFF), payload=st.binary(min_size=1, max_size=300),
       flip=st.integers(0, 10_000))
def test_encrypted_frame_changed_anywhere_is_refused(key, seq, payload, flip):
    body = seal.Cipher(seal.enc_key(key)).xor(seal.RESPONSE, seq, payload)
    t = syncserver.tag(key, wire.header(wire.VERSION, wire.FLAG_RESPONSE | wire.FLAG_MAC, seq, wire.READ, 0), body)
    f = wire.Frame(wire.VERSION, wire.FLAG_RESPONSE | wire.FLAG_MAC, seq, wire.READ, 0, body, t)
    b = bytearray(f.mac_input() + t)
    b[flip % len(b)] ^= 1 << (flip % 8)
    hdr, rest = bytes(b[:wire.HEADER]), bytes(b[wire.HEADER:])
    ver, flags, seq2, cmd2, status2 = hdr[0], hdr[1], hdr[2] | hdr[3] << 8, hdr[4], hdr[5]
    g = wire.Frame(ver, flags, seq2, cmd2, status2, rest[:-16], rest[-16:])
    assert syncserver.open_response(key, g) is None
