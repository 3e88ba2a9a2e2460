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
    """The C kernel's path on this CPU ('avx512', 'sha-ni-4', 'sha-ni-2', 'portable'), or 'python' (no kernel
    built)."""
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


def derive_blob(keys: bytes, slots: int = ids.SLOTS_PER_DAY, jobs: int = 1, native: bool = True) -> bytes:
    """derive() for keys given as one blob of 32-byte keys (no list of objects on the way)."""
    if len(keys) % ids.KEY_LEN:
        raise ValueError("keys must be a concatenation of 32-byte daily keys")
    n = len(keys) // ids.KEY_LEN
    if native and _kernel is not None and (jobs <= 1 or n < 2 * jobs):
        return _kernel.derive(keys, slots)
    return derive([keys[i : i + ids.KEY_LEN] for i in range(0, len(keys), ids.KEY_LEN)], slots, jobs, native)


def derive_columns(keys: bytes, slots: int, valid=None, jobs: int = 1, native: bool = True,
                   backend: str | None = None):
    """The IDs of keys (a blob of 32-byte keys) as the matcher's columns (hi int64, lo int32, kd int32, slot
    int32: host_tools.match.query), keeping slots 0..valid[k]-1 of key k (`valid`: int32 per key, None: all).
    The kernel writes the columns directly; without it, bzfw.ids' IDs are split (same values)."""
    import numpy as np

    n = len(keys) // ids.KEY_LEN
    if valid is not None:
        valid = np.ascontiguousarray(valid, dtype=np.int32)
    if not (native and _kernel is not None):
        from host_tools.match import query

        hi, lo = query.split_ids(derive_python([keys[i : i + 32] for i in range(0, len(keys), 32)], slots))
        kd = np.repeat(np.arange(n, dtype=np.int32), slots)
        slot = np.tile(np.arange(slots, dtype=np.int32), n)
        if valid is not None:
            keep = slot < np.repeat(valid, slots)
            hi, lo, kd, slot = hi[keep], lo[keep], kd[keep], slot[keep]
        return hi, lo, kd, slot

    # One set of columns for every row; each thread writes its keys' rows into its own slice (rows of key a..b-1
    # start at the number of rows of keys 0..a-1), so nothing is copied or concatenated afterwards.
    per = np.full(n, slots, np.int64) if valid is None else np.clip(valid, 0, slots).astype(np.int64)
    start = np.concatenate(([0], np.cumsum(per)))
    cols = _new_columns(int(start[-1]))
    view = memoryview(keys)  # each thread's keys without a copy

    def part(a: int, b: int) -> None:
        r0, r1 = int(start[a]), int(start[b])
        v = valid[a:b] if valid is not None else None
        _kernel.derive_columns(view[32 * a : 32 * b], slots, v, backend, a, tuple(c[r0:r1] for c in cols))

    if jobs <= 1 or n < 2 * jobs:
        part(0, n)
    else:
        step = -(-n // jobs)
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            list(ex.map(lambda a: part(a, min(n, a + step)), range(0, n, step)))
    return cols


_HUGE = 2 << 20  # a huge page (x86-64)


def _new_columns(rows: int):
    """Empty (hi int64, lo, kd, slot int32) columns of `rows` rows, as views of one buffer that starts on a huge
    page boundary. numpy asks the OS for huge pages for large arrays (madvise), and only whole aligned 2 MB
    ranges get them: one aligned buffer instead of four arrays turns almost every 4 KB page fault (one per 205
    IDs of 20 bytes) into one per 2 MB (bench_match measures the kernel's rate into new columns: +8 %)."""
    import numpy as np

    size = 20 * rows
    buf = np.empty(size + (_HUGE if size >= _HUGE else 0), np.uint8)
    at = (-buf.ctypes.data) % _HUGE if size >= _HUGE else 0
    b = buf[at : at + size]
    return (b[: 8 * rows].view(np.int64), b[8 * rows : 12 * rows].view(np.int32),
            b[12 * rows : 16 * rows].view(np.int32), b[16 * rows :].view(np.int32))


def kernel_backends() -> list[str]:
    """Every path of the C kernel this CPU can run (the first entries are slower), or [] without the kernel."""
    return _kernel.backends() if _kernel is not None else []


def next_key(key: bytes) -> bytes:
    """The phones' chain step (a window past midnight uses SHA256 of the day's key), as bzfw.ids.next_key."""
    return ids.next_key(key)
