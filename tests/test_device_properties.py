"""Property tests for the device side's parsers and the scan ring (CPython, the same modules as the token)."""

from collections import deque

from conftest import DEEP
from hypothesis import given, settings
from hypothesis import strategies as st

from bzfw import board, config
from bzfw.radio import Radio

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
config_keys = st.sampled_from(sorted(config._LIMITS) + ["profile", "token_id", "board", "other"])
configs = st.dictionaries(config_keys, json_values | st.integers(0, 4_000_000) | st.sampled_from(
    ["always-on", "eco", "turbo"]), max_size=8) | json_values


@given(configs)
def test_any_config_gives_a_working_config_or_a_named_error(data):
    c = config.Config(data)  # never raises
    for k, (lo, hi) in config._LIMITS.items():
        v = getattr(c, k)
        assert isinstance(v, int) and lo <= v <= hi or (k == "log_capacity_bytes" and v == 0), (k, v)
    assert c.profile in config.PROFILES
    assert c.scan_window_ms <= c.scan_period_ms
    if c.error is None and data is not None:  # None: no config file
        assert isinstance(data, dict)
        for k in config._LIMITS:
            if k in data:
                assert getattr(c, k) == data[k]


pins = st.fixed_dictionaries({"pin": st.integers(-2, 60) | st.text(max_size=2)},
                             optional={"active_low": st.booleans(), "pull": st.sampled_from(["up", "down", "none"])})
boards = st.fixed_dictionaries({}, optional={
    "name": st.text(max_size=5) | st.integers(),
    "led": pins | json_values,
    "button": pins | json_values,
    "battery": st.fixed_dictionaries({"adc_pin": st.integers(0, 48) | st.text(max_size=2)},
                                     optional={"divider": st.floats(0, 30) | st.integers(-5, 30)}) | json_values,
}) | json_values


@given(boards)
def test_board_check_accepts_or_names_the_problem(d):
    try:
        board.check(d)
    except ValueError as e:
        assert str(e)
        return
    # what check() accepts, Board() can wire
    class P:
        IN, OUT, PULL_UP, PULL_DOWN = 1, 3, 1, 2

        def __init__(self, *a, **k):
            pass

        def value(self, v=None):
            return 1

    class A:
        def __init__(self, pin):
            pass

        def atten(self, a):
            pass

        def read_uv(self):
            return 1_000_000

    class M:
        Pin = P
        ADC = A

    b = board.Board(d, M)
    mv = b.battery_mv()
    assert mv is None or mv >= 1000


class _BLE:
    def active(self, *a):
        return True

    def config(self, *a, **k):
        return None

    def irq(self, h):
        pass


@given(st.integers(1, 16), st.lists(st.tuples(st.booleans(), st.binary(max_size=70), st.integers(-128, 127)),
                                    max_size=200))
def test_scan_ring_is_a_bounded_fifo_that_counts_drops(qlen, ops):
    r = Radio(_BLE(), qlen=qlen)
    model: deque = deque()
    drops = over = 0
    for is_irq, data, rssi in ops:
        if is_irq:
            addr = bytes(range(6))
            r._irq(5, (1, memoryview(addr), 0, rssi, memoryview(data)))
            if len(model) >= qlen:
                drops += 1
            elif len(data) > 62:
                over += 1
            else:
                model.append((rssi, data))
        else:
            got: list = []
            r.drain(lambda rs, a, d, got=got: got.append((rs, bytes(d))), limit=3)
            want = [model.popleft() for _ in range(min(3, len(model)))]
            assert got == want
        assert r.pending() == len(model)
    assert (r.dropped, r.oversize) == (drops, over)


# The whole scan path in the app, on CPython with the same stand-ins the firmware suite uses.
_PHONE = bytes(range(40, 52))
_GOOD = bytes.fromhex("0201060303564e0fffb522") + _PHONE


def _mutate(data: bytes, ops: list) -> bytes:
    b = bytearray(data)
    for op, pos, val in ops:
        if not b:
            b.append(val)
        p = pos % len(b)
        if op == 0:
            b[p] = val
        elif op == 1:
            del b[p:]
        else:
            b[p:p] = bytes([val])
    return bytes(b[:62])


adverts = st.one_of(
    st.binary(max_size=62),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 61), st.integers(0, 255)), max_size=4).map(
        lambda ops: _mutate(_GOOD, ops)),
)


@settings(max_examples=2000 if DEEP else 40)  # each example builds a whole app
@given(st.lists(adverts, min_size=1, max_size=30))
def test_hostile_adverts_never_crash_the_app_nor_make_encounters(advs):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "firmware"))
    import os
    import tempfile

    from devfakes import BOARD, FakeConsole, FakeMachine, FakeRTC, FakeTime, air_and_ble

    from bzfw import adv
    from bzfw.app import App
    from bzfw.clock import Clock

    t0 = 20454 * 86400000
    tm = FakeTime(t0)
    clock = Clock(FakeRTC(tm), tm)
    clock.set_ms(t0)
    air, ble = air_and_ble(tm)
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "config.json"), "w") as f:
            f.write('{"scan_period_ms": 10000, "scan_window_ms": 10000}')
        app = App(ble, clock, board.Board(BOARD, FakeMachine), FakeConsole(tm), fs_root=root,
                  sync_factory=lambda a: None)
        app.start()
        app.step()
        valid = set()
        for a in advs:
            kind, bz_id = adv.parse(a)
            if kind == adv.KIND_ANDROID:
                valid.add(bz_id)
            assert air.inject(b"\xc1\x02\x03\x04\x05\x06", a, -60)
            tm.advance(7)
            app.step()
        got = app.agg.flush()
    assert app.counters["loop_errors"] == 0
    from bzfw import records

    ids = {records.decode(rec, day)[3] for day, rec in got}
    assert ids <= valid
    assert app.stats()["sightings"] + app.counters["not_bluezone"] + app.counters["ios_seen"] == len(advs)
