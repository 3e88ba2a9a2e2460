"""Bluezone IDs of many daily keys at once: the C kernel when it was built, else bzfw.ids (the reference).

`derive(keys, slots)` takes a list of 32-byte daily keys and returns one bytes object holding, for each key
in order, its first `slots` 12-byte IDs. Both paths give identical bytes (tests compare them on the vectors
and on Hypothesis keys). `jobs > 1` splits the keys over threads (the kernel releases the GIL) or, for the
pure-Python path, over processes.
"""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from bzfw import ids

try:  # built by `pip install -e .` when a C compiler is there
    from host_tools import _sha_kernel as _kernel
except ImportError:  # pragma: no cover - depends on the machine
    _kernel = None

ID_LEN = ids.ID_LEN


def backend() -> str:
    """'sha-ni' or 'portable' (the C kernel's compression), or 'python' (no kernel built)."""
    return _kernel.backend() if _kernel is not None else "python"


def derive_python(keys: list[bytes], slots: int) -> bytes:
    return b"".join(b"".join(ids.day_ids(k, slots)) for k in keys)


def _derive_one(keys: list[bytes], slots: int, native: bool) -> bytes:
    if native and _kernel is not None:
        return _kernel.derive(b"".join(keys), slots)
    return derive_python(keys, slots)


def derive(keys: list[bytes], slots: int = ids.SLOTS_PER_DAY, jobs: int = 1, native: bool = True) -> bytes:
    """The first `slots` IDs of every key, concatenated (12 bytes each, key-major)."""
    for k in keys:
        if len(k) != ids.KEY_LEN:
            raise ValueError(f"daily keys must be 32 bytes, got {len(k)}")
    use_kernel = native and _kernel is not None
    if jobs <= 1 or len(keys) < 2 * jobs:
        return _derive_one(keys, slots, use_kernel)
    step = -(-len(keys) // jobs)
    parts = [keys[i : i + step] for i in range(0, len(keys), step)]
    pool = ThreadPoolExecutor if use_kernel else ProcessPoolExecutor
    with pool(max_workers=jobs) as ex:
        return b"".join(ex.map(_derive_one, parts, [slots] * len(parts), [use_kernel] * len(parts)))


def next_key(key: bytes) -> bytes:
    """The phones' chain step (a window past midnight uses SHA256 of the day's key), as bzfw.ids.next_key."""
    return ids.next_key(key)
