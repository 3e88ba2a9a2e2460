"""ID derivation for matching: the C kernel (SHA-NI and portable compressions) and the pure-Python path give
the same IDs as bzfw.ids, on the shared vectors and on Hypothesis keys."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bzfw import ids
from host_tools.match import derive

try:
    from host_tools import _sha_kernel as kernel
except ImportError:  # the extension is optional; the pure-Python path is tested either way
    kernel = None

needs_kernel = pytest.mark.skipif(kernel is None, reason="C kernel not built")


def _reference(keys, slots):
    return b"".join(b"".join(ids.day_ids(k, slots)) for k in keys)


def test_vector_days_every_path(vectors):
    days = vectors["chain"]["days"]
    keys = [bytes.fromhex(d["daily_key"]) for d in days]
    want = b"".join(bytes.fromhex(x) for d in days for x in d["ids"])
    assert derive.derive(keys, 96, native=False) == want
    assert derive.derive(keys, 96) == want
    if kernel is not None:
        assert kernel.derive(b"".join(keys), 96, portable=True) == want
        assert kernel.derive(b"".join(keys), 96) == want


def test_backend_named():
    assert derive.backend() in ("sha-ni", "portable", "python")
    if kernel is None:
        assert derive.backend() == "python"


@needs_kernel
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=6), st.integers(1, 150))
def test_kernel_equals_reference(keys, slots):
    want = _reference(keys, slots)
    assert kernel.derive(b"".join(keys), slots) == want
    assert kernel.derive(b"".join(keys), slots, portable=True) == want


@needs_kernel
def test_kernel_rejects_bad_input():
    with pytest.raises(ValueError):
        kernel.derive(b"\0" * 33, 96)
    with pytest.raises(ValueError):
        kernel.derive(b"\0" * 32, 0)
    assert kernel.derive(b"", 96) == b""


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=0, max_size=12), st.sampled_from([1, 2, 3]))
def test_jobs_split_is_order_preserving(keys, jobs):
    assert derive.derive(keys, 24, jobs=jobs) == _reference(keys, 24)


def test_jobs_pure_python_processes():
    keys = [bytes([i]) * 32 for i in range(8)]
    assert derive.derive(keys, 10, jobs=2, native=False) == _reference(keys, 10)


def test_wrong_key_length():
    with pytest.raises(ValueError):
        derive.derive([b"\0" * 31], 96)
