"""ID derivation for matching: every path of the C kernel this CPU runs (AVX-512 16 lanes, SHA-NI 4 and 2
chains, portable) and the pure-Python path give the same IDs as bzfw.ids, on the shared vectors and on
Hypothesis keys; the matcher's columns (with slots left out) equal the IDs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bzfw import ids
from host_tools.match import derive, query

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
        for b in kernel.backends():
            assert kernel.derive(b"".join(keys), 96, backend=b) == want, b


def test_backend_named():
    assert derive.backend() in ("avx512", "sha-ni-4-asm-vl", "sha-ni-4-asm", "sha-ni-4-vl", "sha-ni-6-vl",
                                "sha-ni-4-avx", "sha-ni-4", "sha-ni-2", "portable", "python")
    if kernel is None:
        assert derive.backend() == "python"
    else:
        assert derive.backend() == kernel.backends()[-1] and "portable" in kernel.backends()
        with pytest.raises(ValueError):
            kernel.derive(b"\0" * 32, 96, backend="quantum")


def _flags():
    try:
        return set(open("/proc/cpuinfo").read().split())
    except OSError:
        return set()


@needs_kernel
def test_paths_the_cpu_has_are_offered():
    flags = _flags()
    if "sha_ni" in flags:
        assert {"sha-ni-2", "sha-ni-4"} <= set(kernel.backends())
    if "avx512f" in flags:
        assert "avx512" in kernel.backends()
    vl = {"sha-ni-4-vl", "sha-ni-6-vl", "sha-ni-4-asm-vl"}
    if {"sha_ni", "avx512f", "avx512vl"} <= flags:
        assert vl <= set(kernel.backends())
    else:  # the -vl paths run AVX-512VL instructions: never offered where they would fault
        assert not vl & set(kernel.backends())
    if {"sha_ni", "avx"} <= flags:
        assert {"sha-ni-4-avx", "sha-ni-4-asm"} <= set(kernel.backends())
    else:  # VEX-encoded: faults without AVX (SHA-NI Atoms have none)
        assert not {"sha-ni-4-avx", "sha-ni-4-asm"} & set(kernel.backends())


@needs_kernel
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=6), st.integers(1, 150))
def test_kernel_equals_reference(keys, slots):
    want = _reference(keys, slots)
    assert kernel.derive(b"".join(keys), slots) == want
    assert kernel.derive(b"".join(keys), slots, portable=True) == want
    for b in kernel.backends():
        assert kernel.derive(b"".join(keys), slots, backend=b) == want, b


@needs_kernel
def test_long_chains_every_path():
    """One step, a key-day, and chains longer than one call of the assembly loop (512 steps: sha-ni-4-asm runs
    them in parts), with a key count that leaves spare chains, equal the reference on every path, as IDs and as
    columns (the first four keys: rows written by the loop itself; the fifth: cut out of stored digests)."""
    keys = [bytes([i]) * 32 for i in range(5)]
    for slots, b in ((s, b) for s in (1, 2, 96, 1100) for b in kernel.backends()):
        want = _reference(keys, slots)
        assert kernel.derive(b"".join(keys), slots, backend=b) == want, b
        hi, lo, kd, sl = derive.derive_columns(b"".join(keys), slots, backend=b)
        blob = query.join_ids(hi, lo)
        got = {(int(kd[r]), int(sl[r])): blob[12 * r : 12 * r + 12] for r in range(len(kd))}
        assert len(got) == len(kd) == 5 * slots, (b, slots)
        assert all(got[i, j] == want[12 * (i * slots + j) : 12 * (i * slots + j) + 12]
                   for i in range(5) for j in range(slots)), (b, slots)


@needs_kernel
@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(-2, 120)), min_size=0, max_size=40),
       st.integers(1, 100), st.integers(1, 3))
def test_columns_equal_the_ids_on_every_path(items, slots, jobs):
    keys = [k for k, _ in items]
    valid = np.array([v for _, v in items], np.int32)
    ref = [ids.day_ids(k, slots) for k in keys]
    want = [(i, s, ref[i][s]) for i in range(len(keys)) for s in range(max(0, min(slots, int(valid[i]))))]
    for b in [None, *kernel.backends()]:
        if b is None:
            hi, lo, kd, sl = derive.derive_columns(b"".join(keys), slots, valid, jobs=jobs)
        else:
            hi, lo, kd, sl = derive.derive_columns(b"".join(keys), slots, valid, backend=b)
        blob = query.join_ids(hi, lo)
        got = sorted((int(kd[r]), int(sl[r]), blob[12 * r : 12 * r + 12]) for r in range(len(kd)))
        assert got == want, b  # rows come in the order computed; kd and slot say where each belongs
    hi, lo, kd, sl = derive.derive_columns(b"".join(keys), slots, valid, native=False)
    assert sorted(zip(kd.tolist(), sl.tolist(), strict=True)) == [(i, s) for i, s, _ in want]


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


def test_generated_avx512_block_is_current():
    """The AVX-512 compressions in the C file are what tools/gen_sha_avx512.py writes (one source of truth)."""
    import runpy
    from pathlib import Path

    gen = runpy.run_path(str(Path(__file__).resolve().parent.parent / "tools" / "gen_sha_avx512.py"))
    src = gen["C_FILE"].read_text()
    block = src[src.index(gen["BEGIN"]) : src.index(gen["END"]) + len(gen["END"])]
    assert block == gen["generated"]()
    assert "#define AVX512_CHAIN_OPS" in block


def test_generated_sha_ni_asm_block_is_current():
    """The hand-scheduled SHA-NI loops in the C file are what tools/gen_sha_ni_asm.py writes."""
    import runpy
    from pathlib import Path

    gen = runpy.run_path(str(Path(__file__).resolve().parent.parent / "tools" / "gen_sha_ni_asm.py"))
    src = gen["C_FILE"].read_text()
    block = src[src.index(gen["BEGIN"]) : src.index(gen["END"]) + len(gen["END"])]
    assert block == gen["generated"]()
    assert "sha4_asm_vl(" in block and block.count("sha256rnds2") == 4 * 32 * gen["N"]
    probe = src[src.index(gen["BEGIN_PROBE"]) : src.index(gen["END_PROBE"]) + len(gen["END_PROBE"])]
    assert probe == gen["generated_probe"]()
    assert gen["main"](["--check"]) == 0


@needs_kernel
@pytest.mark.parametrize(("jobs", "all_slots"), [(1, False), (2, False), (1, True)])
def test_columns_of_a_large_list_in_one_aligned_buffer(jobs, all_slots):
    """More than 2 MB of columns (one huge-page-aligned buffer, threads writing their own slices): every row is
    the portable path's ID of its key-day and slot, and every (key-day, slot) comes once. With every slot kept,
    the AVX-512 path stores whole vectors of 16 IDs; with slots left out, lane by lane."""
    rng = np.random.default_rng(5)
    n = 3_000
    keys = rng.bytes(32 * n)
    valid = np.full(n, 96, np.int32) if all_slots else rng.integers(-3, 100, n).astype(np.int32)
    ref = np.frombuffer(kernel.derive(keys, 96, portable=True), dtype=query.ID_DTYPE).reshape(n, 96)
    for b in kernel.backends():
        hi, lo, kd, sl = derive.derive_columns(keys, 96, None if all_slots else valid, jobs=jobs, backend=b)
        assert len(hi) == int(np.clip(valid, 0, 96).sum()) > (2 << 20) // 20
        assert (hi == ref["hi"][kd, sl]).all() and (lo == ref["lo"][kd, sl]).all(), b
        assert (sl < valid[kd]).all()
        assert len(np.unique(kd.astype(np.int64) * 96 + sl)) == len(kd)


@needs_kernel
def test_probe_reports_what_the_cpu_has():
    p = kernel.probe()
    if "avx512_chain_ops" in p:  # x86
        assert p["avx512_chain_ops"]["total"] == sum(v for k, v in p["avx512_chain_ops"].items() if k != "total")
    if "ghz" in p:  # x86-64 Linux
        assert p["ghz"] > 0
        assert ("rnds2_per_cycle" in p) == ("sha-ni-2" in kernel.backends())
        assert ("zmm_add_per_cycle" in p) == ("avx512" in kernel.backends())


@needs_kernel
def test_columns_into_given_arrays_are_checked():
    keys = bytes(range(32)) * 3
    ok = (np.empty(288, np.int64), np.empty(288, np.int32), np.empty(288, np.int32), np.empty(288, np.int32))
    assert kernel.derive_columns(keys, 96, None, None, 0, ok) == 288
    assert sorted(zip(ok[2].tolist(), ok[3].tolist(), strict=True)) == [(k, s) for k in range(3) for s in range(96)]
    for bad in [(ok[0][:287], *ok[1:]), (ok[1], ok[1], ok[2], ok[3]), (ok[0], ok[1], ok[2], ok[3].astype(np.int64))]:
        with pytest.raises(ValueError):
            kernel.derive_columns(keys, 96, None, None, 0, bad)
    with pytest.raises(TypeError):
        kernel.derive_columns(keys, 96, None, None, 0, list(ok))


def test_genblock_checks_and_rewrites(tmp_path, capsys):
    """The generators' shared writer: --check says a stale block in one line (exit 1) and writes nothing;
    without it the block is rewritten between its markers and the rest of the file is left alone."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    from genblock import rewrite

    f = tmp_path / "k.c"
    f.write_text("head\n/* B */old/* E */\ntail\n")
    blocks = [("/* B */", "/* E */", "/* B */new/* E */")]
    assert rewrite(f, blocks, ["--check"], "gen.py") == 1
    assert "stale: run python gen.py" in capsys.readouterr().out
    assert "old" in f.read_text()
    assert rewrite(f, blocks, [], "gen.py") == 0
    assert f.read_text() == "head\n/* B */new/* E */\ntail\n"
    assert rewrite(f, blocks, ["--check"], "gen.py") == 0
