"""bzfw.hmac256 (MicroPython has no hmac) equals CPython's hmac for any key and message."""

import hmac

from hypothesis import given
from hypothesis import strategies as st

from bzfw.hmac256 import equal, hmac_sha256


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_equals_cpython_hmac(key, msg):
    assert hmac_sha256(key, msg) == hmac.digest(key, msg, "sha256")


@given(st.binary(max_size=40), st.binary(max_size=40))
def test_equal_matches_compare_digest(a, b):
    assert equal(a, b) == hmac.compare_digest(a, b)
