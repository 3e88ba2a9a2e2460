"""Property tests for the device side's parsers and the scan ring (CPython, the same modules as the token)."""

from collections import deque

from hypothesis import given
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
