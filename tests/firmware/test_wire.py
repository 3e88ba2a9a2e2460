# The sync wire codec on the MicroPython unix port (and on CPython under pytest).
from fwtest import eq, raises

from bzfw import wire


def _req(seq=7, cmd=wire.READ, payload=b"\x01\x02\x03", tag=None):
    return wire.encode(0, seq, cmd, 0, payload, tag)


def test_round_trip_plain_and_tagged():
    for tag in (None, bytes(range(16))):
        line = _req(tag=tag)
        fs = wire.Decoder().feed(line)
        eq(len(fs), 1, "one frame")
        f = fs[0]
        want = (wire.VERSION, 7, wire.READ, 0, b"\x01\x02\x03", tag)
        eq((f.ver, f.seq, f.cmd, f.status, f.payload, f.tag), want, "fields")
        eq(bool(f.flags & wire.FLAG_MAC), tag is not None, "mac flag")


def test_frames_never_hold_control_bytes():
    payload = bytes(range(256)) * 2
    line = wire.encode(wire.FLAG_RESPONSE, 0xFFFF, wire.READ, 0, payload, bytes(range(0xC0, 0xD0)))
    for b in (0x01, 0x02, 0x03, 0x04, 0x05, 0x0A, 0x0D):
        eq(b in line, False, f"byte 0x{b:02x} in a frame")
    eq(line.count(bytes([wire.END])), 2, "END only at both ends")
    eq(wire.Decoder().feed(line)[0].payload, payload, "payload")


def test_byte_by_byte_with_repl_text_between():
    d = wire.Decoder()
    stream = b"MicroPython v1.29\r\n>>> " + _req(seq=1) + b"garbage\x03\r\n" + _req(seq=2) + _req(seq=3)
    got = []
    for i in range(len(stream)):
        got += d.feed(stream[i:i + 1])
    eq([f.seq for f in got], [1, 2, 3], "seqs")
    eq(d.frames, 3, "frames")


def test_corrupted_byte_is_dropped_next_frame_survives():
    line = bytearray(_req(payload=b"hello world"))
    line[5] ^= 0x10
    d = wire.Decoder()
    eq(d.feed(bytes(line) + _req(seq=9)), [wire.Decoder().feed(_req(seq=9))[0]], "only the good frame")
    eq(d.bad, 1, "bad counted")


def test_lost_end_byte_loses_no_frame():
    # Each frame opens with END too, so a lost closing END is made good by the next frame's opening one.
    a = _req(seq=1)[:-1]
    d = wire.Decoder()
    eq([f.seq for f in d.feed(a + _req(seq=2))], [1, 2], "both survive")


def test_lost_middle_byte_loses_that_frame_only():
    a = _req(seq=1, payload=b"abcdef")
    d = wire.Decoder()
    eq([f.seq for f in d.feed(a[:4] + a[5:] + _req(seq=2))], [2], "second survives")


def test_oversize_candidate_dropped():
    d = wire.Decoder(max_body=64)
    eq(d.feed(bytes([wire.END]) + b"x" * 500 + _req(seq=4)), [wire.Decoder().feed(_req(seq=4))[0]], "after oversize")


def test_newer_version_frame_is_still_delivered():
    f = wire.Decoder().feed(wire.encode(0, 1, wire.HELLO, ver=9))[0]
    eq(f.ver, 9, "version visible to the layer above")


def test_payload_helpers():
    eq(wire.unpack_read(wire.pack_read(20000, 123456, 2048)), (20000, 123456, 2048), "read")
    eq(wire.unpack_confirm(wire.pack_confirm(20000, 4800)), (20000, 4800), "confirm")
    eq(wire.unpack_days(wire.pack_days([(1, 2, 3), (4, 5, 6)])), [(1, 2, 3), (4, 5, 6)], "days")
    eq(wire.unpack_keys(wire.pack_keys([(7, b"k" * 32)])), [(7, b"k" * 32)], "keys")
    eq(wire.unpack_ms(wire.pack_ms(1596866191387)), 1596866191387, "ms")
    eq(wire.unpack_time_set(wire.pack_time_set(1596866191387)), (1596866191387, None), "time-set, time only")
    eq(wire.pack_time_set(5), wire.pack_ms(5), "the 8-byte form is the old one")
    eq(wire.unpack_time_set(wire.pack_time_set(1596866191387, -4999999)), (1596866191387, -4999999), "with rate")
    raises(ValueError, wire.unpack_time_set, wire.pack_ms(1) + b"\x00\x00")
    raises(ValueError, wire.unpack_time_set, wire.pack_ms(1) + b"\x00" * 5)
    raises(ValueError, wire.unpack_read, b"short")
    raises(ValueError, wire.unpack_days, b"x" * 13)
    raises(ValueError, wire.encode, 0, 1, wire.READ, 0, b"x" * (wire.MAX_PAYLOAD + 1))
