"""Hypothesis: the GATT sync service moves any byte stream intact both ways, whatever the MTU, however the
station splits its writes, however often the stack's buffers are full; and every notification fits the MTU."""

import sys

from hypothesis import given
from hypothesis import strategies as st

from bzfw import gattsync

_ENOMEM = 12


class _UUID:
    def __init__(self, v):
        self.v = v


class _Bluetooth:
    UUID = _UUID


class _Stack:
    def __init__(self, budgets):
        self.budgets = list(budgets)
        self.budget = 0
        self.rx = b""
        self.out = []

    def gatts_register_services(self, svcs):
        return ((1, 2),)

    def gatts_set_buffer(self, h, n, append=False):
        pass

    def gatts_read(self, h):
        d, self.rx = self.rx, b""
        return d

    def gatts_notify(self, conn, h, data):
        if self.budget <= 0:
            raise OSError(_ENOMEM)
        self.budget -= 1
        self.out.append(bytes(data))

    def gap_disconnect(self, conn):
        return True

    def next_pass(self):
        self.budget = self.budgets.pop(0) if self.budgets else 1000


class _Clock:
    def __init__(self):
        self.t = 0

    def ticks_ms(self):
        return self.t

    def ticks_diff(self, a, b):
        return a - b


class _Radio:
    def set_sync(self, resp):
        pass


class _Server:
    """Answers each request with scripted bytes (the codec is tested on its own)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.fed = b""

    def feed(self, data):
        self.fed += bytes(data)
        return self.answers.pop(0) if self.answers else b""


@given(
    mtu=st.integers(23, 517),
    requests=st.lists(st.binary(min_size=1, max_size=600), min_size=1, max_size=6),
    answers=st.lists(st.binary(max_size=5000), min_size=1, max_size=6),
    cuts=st.lists(st.integers(1, 514), max_size=20),
    budgets=st.lists(st.integers(0, 5), max_size=200),
)
def test_any_stream_arrives_intact_in_pieces_that_fit_the_mtu(mtu, requests, answers, cuts, budgets):
    saved = sys.modules.get("bluetooth")
    sys.modules["bluetooth"] = _Bluetooth  # type: ignore[assignment]
    try:
        stack, clock = _Stack(budgets), _Clock()
        server = _Server(answers)
        g = gattsync.GattSync(stack, server, clock, _Radio(), None, mode_ms=60000)
        assert g.register()
        g.enter(0)
        g.irq(1, (5, 1, b"\x00" * 6))
        g.irq(21, (5, mtu))
        sent_answers = b""
        for req in requests:
            i, k = 0, 0
            while i < len(req):  # the station splits each request at will (at most MTU - 3 per write)
                n = min(cuts[k % len(cuts)] if cuts else mtu - 3, mtu - 3)
                k += 1
                stack.rx += req[i:i + n]
                g.irq(3, (5, 1))
                i += n
            stack.next_pass()
            g.step(clock.ticks_ms())
            for _ in range(20000):  # main-loop passes until the answer is out
                if not g._tx:
                    break
                stack.next_pass()
                clock.t += 2
                g.step(clock.ticks_ms())
        sent_answers = b"".join(answers[:len(requests)])
        assert server.fed == b"".join(requests)
        assert b"".join(stack.out) == sent_answers
        assert all(len(p) <= mtu - 3 for p in stack.out)
    finally:
        if saved is None:
            sys.modules.pop("bluetooth", None)
        else:
            sys.modules["bluetooth"] = saved
