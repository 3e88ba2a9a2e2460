# Small helpers shared by the firmware tests on the MicroPython unix port.
import binascii
import json

VECTORS_PATH = "tests/vectors/bluezone-v2.json"


def vectors():
    with open(VECTORS_PATH) as f:
        return json.load(f)


def unhex(s):
    return binascii.unhexlify(s)


def hexu(b):
    return binascii.hexlify(b).decode().upper()


def eq(a, b, what=""):
    if a != b:
        raise AssertionError("%s: %r != %r" % (what, a, b))


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return
    raise AssertionError("%s did not raise %s" % (fn, exc))
