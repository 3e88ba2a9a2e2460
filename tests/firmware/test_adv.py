# Advertisement build and parse against the vectors, on the MicroPython unix port.
from fwtest import eq, hexu, raises, unhex, vectors

from bzfw import adv

V = vectors()


def test_build_token_payload():
    a = V["adverts"][0]
    eq(hexu(adv.build(unhex(a["id"]))), a["hex"], "token payload")
    eq(len(adv.build(unhex(a["id"]))), 23, "length")


def test_parse_every_vector():
    for a in V["adverts"]:
        kind, bz_id = adv.parse(unhex(a["hex"]))
        eq(adv.KIND_NAMES[kind], a["kind"], a["name"])
        eq(hexu(bz_id) if bz_id else None, a["id"], a["name"])


def test_parse_memoryview():
    a = V["adverts"][0]
    kind, bz_id = adv.parse(memoryview(unhex(a["hex"])))
    eq(kind, adv.KIND_ANDROID, "kind")
    eq(hexu(bz_id), a["id"], "id")


def test_parse_every_truncation_never_raises():
    raw = unhex(V["adverts"][2]["hex"])
    for n in range(len(raw)):
        kind, bz_id = adv.parse(raw[:n])
        if bz_id is not None:
            eq(len(bz_id), 12, "id length at cut %d" % n)


def test_build_rejects_bad_id():
    raises(ValueError, adv.build, b"\x00" * 11)
