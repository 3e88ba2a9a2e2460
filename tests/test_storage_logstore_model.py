"""LogStore against a small reference model, driven by Hypothesis (CPython, a temp directory).

Random sequences of appends (several days, a store that fills), confirmations, purges, torn tails and reboots;
after every step the store's days, bytes, confirmations and loss counters equal the model's.
"""

import os
import shutil
import tempfile

from conftest import DEEP
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from bzfw import records
from bzfw.logstore import LogStore

R = records.RECORD_SIZE
D0 = 20415
CAP = 30 * R
DAYS = st.integers(D0, D0 + 25)


def rec(day, i):
    t = day * 86400000 + i
    return records.encode(day, 0, 1, i.to_bytes(4, "little") * 3, t, t, 1, -70, -70, -70)


class LogStoreModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = tempfile.mkdtemp()
        self.root = os.path.join(self.dir, "log")
        self.store = LogStore(self.root, CAP)
        self.recs = {}  # day -> records
        self.conf = {}  # day -> offset
        self.stats = dict.fromkeys(self.store.stats, 0)
        self.n = 0

    def teardown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def _used(self):
        return sum(len(v) for v in self.recs.values()) * R

    def _unconfirmed(self, d):
        return len(self.recs[d]) - self.conf.get(d, 0) // R

    def _drop(self, d):
        self.stats["dropped_full_days"] += 1
        self.stats["dropped_records"] += self._unconfirmed(d)
        del self.recs[d]
        self.conf.pop(d, None)

    @rule(day=DAYS, k=st.integers(1, 12))
    def append(self, day, k):
        batch = [rec(day, self.n + i) for i in range(k)]
        self.n += k
        while self._used() + k * R > CAP:
            others = sorted(d for d in self.recs if d != day)
            done = [d for d in others if self.conf.get(d, 0) >= len(self.recs[d]) * R]
            if not others:
                break
            self._drop(done[0] if done else others[0])
        fit = min(k, (CAP - self._used()) // R)
        if fit < k:
            self.stats["dropped_records"] += k - fit
        if fit:
            self.recs.setdefault(day, []).extend(batch[:fit])
        assert self.store.append(day, batch) == fit

    @rule(data=st.data())
    def confirm(self, data):
        if not self.recs:
            return
        day = data.draw(st.sampled_from(sorted(self.recs)))
        upto = data.draw(st.integers(0, len(self.recs[day]))) * R
        self.store.confirm(day, upto)
        self.conf[day] = max(self.conf.get(day, 0), upto)

    @rule(today=st.integers(D0, D0 + 50))
    def purge(self, today):
        gone = sorted(d for d in self.recs if d <= today - 21)
        for d in gone:
            self.stats["purged_days"] += 1
            self.stats["expired_records"] += self._unconfirmed(d)
            del self.recs[d]
            self.conf.pop(d, None)
        assert self.store.purge(today) == gone

    @rule()
    def reboot(self):
        self.store = LogStore(self.root, CAP)

    @rule(data=st.data(), junk=st.binary(min_size=1, max_size=R - 1))
    def torn_tail_then_reboot(self, data, junk):
        if not self.recs:
            return
        day = data.draw(st.sampled_from(sorted(self.recs)))
        with open(os.path.join(self.root, f"{day}.log"), "ab") as f:
            f.write(junk)
        self.stats["torn_skipped"] += 1
        self.store = LogStore(self.root, CAP)

    @invariant()
    def same_as_model(self):
        s = self.store
        assert s.days() == sorted(self.recs)
        for d, rs in self.recs.items():
            assert s.read(d, 0, 1 << 20) == b"".join(rs)
            assert s.confirmed(d) == self.conf.get(d, 0)
        assert s.used_bytes() == self._used() <= CAP
        assert s.free_bytes() == CAP - self._used()
        assert s.stats == self.stats


LogStoreModel.TestCase.settings = settings(max_examples=1000 if DEEP else 60, stateful_step_count=40, deadline=None)
TestLogStoreModel = LogStoreModel.TestCase
