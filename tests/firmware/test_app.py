# The application on stand-in devices: IDs and addresses rotate exactly at slot boundaries, nothing is
# sent or logged while the clock is not set, hostile adverts never crash it or create an encounter,
# encounters are persisted in batches, old days are purged, the eco profile sleeps between windows.
import gc
import json
import os

from devfakes import BOARD, FakeADC, FakeConsole, FakeMachine, FakeRTC, FakeTime, air_and_ble, file_root
from fwtest import eq

from bzfw import adv, board, checkpoint, ids, records
from bzfw.app import App
from bzfw.clock import Clock
from bzfw.encounters import Aggregator
from bzfw.logstore import LogStore, makedirs

DAY = 20454  # 2026-01-01
T0 = DAY * 86400000
PHONE = bytes(range(40, 52))
ADDR = b"\xc1\x02\x03\x04\x05\x06"
# Tests of an awake token name always-on (the firmware's default profile sleeps: bzfw.config.DEFAULT_PROFILE).
ALWAYS_ON = {"profile": "always-on"}
SCAN_ALWAYS = {"profile": "always-on", "scan_period_ms": 10000, "scan_window_ms": 10000}


class Tok:
    def __init__(self, t0, config=None, clock_set=True, blocks=32, secret=True, eco_sleep=False, sync=None):
        gc.collect()  # the suite shares one 2 MB heap: leave it unfragmented
        self.tm = FakeTime(t0)
        self.rtc = FakeRTC(self.tm)
        self.clock = Clock(self.rtc, self.tm)
        if clock_set:
            self.clock.set_ms(t0)
        self.air, self.ble = air_and_ble(self.tm)
        self.events = []
        self.air.on_advertise = lambda t, a, d, public: self.events.append((t, a, d, public))
        self.root = file_root("tok", blocks)
        makedirs(self.root)
        if config is not None:
            with open(self.root + "/config.json", "w") as f:
                f.write(json.dumps(config))
        if secret:
            with open(self.root + "/secret", "wb") as f:
                f.write(bytes(32))
        self.sleeps = []
        self.board = board.Board(BOARD, FakeMachine)
        self.console = FakeConsole(self.tm)
        self.app = App(self.ble, self.clock, self.board, self.console, fs_root=self.root, urandom=os.urandom,
                       deepsleep=self._sleep if eco_sleep else None,
                       sync_factory=sync or (lambda app: None))
        self.app.start()

    def _sleep(self, ms):
        self.sleeps.append((self.tm.ms, ms))
        self.tm.advance(ms)

    def run_until(self, t_ms, inject=None, every=100):
        """Run the main loop until t_ms; inject(t) is called every `every` ms of virtual time."""
        next_inj = self.tm.ms
        while self.tm.ms < t_ms:
            wait = self.app.step()
            if inject is not None and self.tm.ms >= next_inj:
                inject(self.tm.ms)
                next_inj += every
            step = min(wait, t_ms - self.tm.ms)
            if inject is not None:
                step = min(step, max(1, next_inj - self.tm.ms))
            self.tm.advance(max(step, 1) if self.tm.ms < t_ms else 0)
        self.app.step()

    def records(self):
        out = []
        ls = LogStore(self.root + "/log", 1 << 20)
        for day in ls.days():
            data = ls.read(day, 0, ls.size(day))
            for o in range(0, len(data), records.RECORD_SIZE):
                out.append(records.decode(data[o:o + records.RECORD_SIZE], day))
        return out


def saved(k):
    """The encounters in the token's checkpoint file, as the records they would close into."""
    a = Aggregator(max_open=128)
    checkpoint.load(k.root + "/encounters.ckpt", a, LogStore(k.root + "/log", 1 << 20))
    return [records.decode(rec, day) for day, rec in a.flush()]


def reboot(k, **kw):
    """Power off and on: RAM gone, the same flash and clock."""
    k.app = App(k.ble, k.clock, k.board, k.console, fs_root=k.root, urandom=os.urandom,
                sync_factory=lambda app: None, **kw)
    k.app.start()


def phone(t):
    return adv.build(PHONE)


def test_id_and_address_change_exactly_at_the_slot_boundary():
    b = T0 + 5 * ids.SLOT_MS
    k = Tok(b - 3000, config=ALWAYS_ON)
    k.run_until(b + 1000)
    key = k.app.keystore.key_for(DAY)
    on = [e for e in k.events if e[2] is not None]
    eq(len(on), 2, "two adverts")
    eq(on[0][2], adv.build(ids.slot_id(key, 4)), "slot 4's ID before")
    eq(on[1][2], adv.build(ids.slot_id(key, 5)), "slot 5's ID after")
    eq(on[1][0], b, "changed exactly at the boundary")
    eq(on[0][1] != on[1][1], True, "new address with the new ID")
    # the change is stop -> new address -> start: the old ID never goes out from the new address
    i = k.events.index(on[1])
    eq(k.events[i - 1][2], None, "stopped first")
    eq(k.events[i - 1][0], b, "stopped at the boundary too")
    eq([e for e in k.events if e[3]], [], "never from the public address")


def test_new_day_new_key_at_midnight():
    k = Tok(T0 + 86400000 - 2000, config=ALWAYS_ON)
    k.run_until(T0 + 86400000 + 500)
    on = [e for e in k.events if e[2] is not None]
    eq(on[-1][0], T0 + 86400000, "at midnight")
    eq(on[-1][2], adv.build(ids.slot_id(k.app.keystore.key_for(DAY + 1), 0)), "slot 0 of the new day's key")
    eq(on[-2][2], adv.build(ids.slot_id(k.app.keystore.key_for(DAY), 95)), "slot 95 of the old day")


def test_clock_not_set_no_ids_no_logging_led_asks_for_sync():
    k = Tok(T0, config=SCAN_ALWAYS, clock_set=False)
    changes = FakeMachine.Pin.changes
    k.run_until(k.tm.ms + 5000, inject=lambda t: k.air.inject(ADDR, phone(t), -60))
    eq(k.events, [], "nothing advertised")
    eq(k.ble.advertising, None, "not advertising")
    eq(k.air.delivered, 0, "not scanning")
    eq(k.board.pattern, board.PAT_NEEDS_SYNC, "LED asks for a station")
    eq(FakeMachine.Pin.changes - changes >= 8, True, "the LED blinks")
    k.app.persist(k.app.agg.flush())
    eq(k.records(), [], "nothing logged")
    # the station sets the clock: the token starts working
    k.clock.set_ms(T0 + 60000)
    k.run_until(k.tm.ms + 3000, inject=lambda t: k.air.inject(ADDR, phone(t), -60))
    eq(k.ble.advertising is not None, True, "advertising once set")
    eq(k.board.pattern, board.PAT_WORKING, "LED: working")
    # power lost again (RTC reset): radio off at once, the queue is not logged with a wrong time
    k.rtc.power_loss()
    k.air.inject(ADDR, phone(0), -60)
    k.run_until(k.tm.ms + 2000, inject=lambda t: k.air.inject(ADDR, phone(t), -60))
    eq(k.ble.advertising, None, "stopped after the power loss")
    eq(k.events[-1][2], None, "last event: advertising stopped")
    for r in k.records():
        eq(r[4] >= T0 + 60000, True, "only times from the set clock")


def _mutants(seed, n):
    """Deterministic hostile adverts: valid ones, then bit flips, truncations, extensions, length lies."""
    base = adv.build(PHONE)
    x = seed
    out = [base, b"", b"\x00", b"\xff" * 62, b"\x1f" + b"\xff" * 30, bytes(62), b"\x02\x01",
           base[:11], base + b"\x00", base + b"\x05\xff\xb5\x22\x01\x02", b"\x03\x03\x56\x4e" + base[7:]]
    while len(out) < n:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        a = bytearray(base)
        op = x % 5
        p = (x >> 8) % len(a)
        if op == 0:
            a[p] ^= 1 << ((x >> 16) % 8)
        elif op == 1:
            a = a[:p]
        elif op == 2:
            a = a + bytes(((x >> 3) & 0xFF, (x >> 11) & 0xFF, (x >> 19) & 0xFF))
        elif op == 3:
            a[p] = (x >> 12) & 0xFF
        else:
            a = bytearray(bytes((x >> s) & 0xFF for s in range(0, 31, 3)))
        out.append(bytes(a))
    return out


def test_hostile_adverts_never_crash_and_never_create_an_encounter():
    k = Tok(T0, config=SCAN_ALWAYS)
    mutants = _mutants(7, 600)
    valid = set()
    for m in mutants:
        kind, bz_id = adv.parse(m)
        if kind == adv.KIND_ANDROID:
            valid.add(bz_id)
    state = [0]

    def inject(t):
        m = mutants[state[0] % len(mutants)]
        state[0] += 1
        k.air.inject(ADDR, m, -60)

    k.run_until(T0 + 65000, inject=inject, every=10)
    k.app.persist(k.app.agg.flush())
    eq(state[0] >= len(mutants), True, "all injected")
    eq(k.app.counters["loop_errors"], 0, "no error in the loop")
    got = set(r[3] for r in k.records())
    eq(PHONE in got, True, "the genuine phone is logged")
    eq(got - valid, set(), "no encounter from a malformed advert")
    eq(k.app.counters["not_bluezone"] > 100, True, "malformed ones counted")


def test_encounters_checkpointed_every_few_minutes_one_record_at_slot_end():
    k = Tok(T0 + 60000, config=SCAN_ALWAYS)
    k.run_until(T0 + 120000, inject=lambda t: k.air.inject(ADDR, phone(t), -61), every=1000)
    eq(k.records(), [], "still in RAM after a minute")
    eq(saved(k), [], "no checkpoint yet")
    k.run_until(T0 + 60000 + k.app.config.flush_every_ms + 10)
    eq(k.records(), [], "the periodic save does not append to the log")
    c = saved(k)
    eq(len(c), 1, "the open encounter is in the checkpoint after 3 minutes")
    eq((c[0][1], c[0][2], c[0][3], c[0][6], c[0][7]), (0, adv.KIND_ANDROID, PHONE, 60, -61), "its fields")
    k.run_until(T0 + ids.SLOT_MS - 5000, inject=lambda t: k.air.inject(ADDR, phone(t), -70), every=1000)
    eq(k.records(), [], "nothing appended within the slot")
    eq(k.app.counters["ckpt_writes"], 4, "saves at 4, 7, 10 and 13 minutes")
    eq(0 < saved(k)[0][6] < k.app.agg.sightings, True, "the save at 13 min holds the sightings until then")
    k.run_until(T0 + ids.SLOT_MS + 1)
    r = k.records()
    eq(len(r), 1, "one record for the contact in slot 0, at the slot's end")
    eq((r[0][1], r[0][3], r[0][4], r[0][6]), (0, PHONE, T0 + 60000, k.app.agg.sightings), "all the sightings")
    eq(saved(k), [], "the checkpoint saved after the append holds nothing of slot 0")


def test_power_cut_restores_the_checkpoint_one_record_per_slot():
    k = Tok(T0 + 60000, config=SCAN_ALWAYS)
    k.run_until(T0 + 60000 + k.app.config.flush_every_ms + 10000, inject=lambda t: k.air.inject(ADDR, phone(t), -61),
                every=1000)
    before = saved(k)[0][6]
    eq(before >= 180, True, "the checkpoint holds the first 3 minutes")
    reboot(k)  # a power cut: the sightings since the save are lost, the saved ones come back
    eq(k.app.counters["ckpt_restored"], 1, "the encounter is open again")
    k.run_until(T0 + ids.SLOT_MS - 10000, inject=lambda t: k.air.inject(ADDR, phone(t), -65), every=1000)
    after = k.app.agg.sightings  # made since the reboot
    # A cut right after the slot end's append, before the checkpoint is replaced:
    k.app.save_checkpoint = lambda: None
    k.run_until(T0 + ids.SLOT_MS + 1000)
    eq(len(k.records()), 1, "appended at the slot's end")
    reboot(k)
    eq(k.app.counters["ckpt_logged"], 1, "the stale checkpoint's encounter is found in the log")
    eq(k.app.counters["ckpt_restored"], 0, "and not reopened")
    k.run_until(T0 + ids.SLOT_MS + 5000)
    r = k.records()
    eq(len(r), 1, "one record for slot 0: nothing lost across the cut, nothing doubled")
    eq((r[0][4], r[0][6], r[0][8]), (T0 + 60000, before + after, -61), "first seen, count, strongest")


def test_old_days_and_keys_purged_daily():
    k = Tok(T0, config=SCAN_ALWAYS)
    old = DAY - 30
    t = old * 86400000
    ls = LogStore(k.root + "/log", 1 << 20)
    ls.append(old, [records.encode(old, 0, 1, PHONE, t, t, 1, -60, -60, -60)])
    k.app.keystore.key_for(old)
    k.app.keystore.key_for(DAY - 3)
    # a reboot of the same token: same filesystem, same clock
    k.app = App(k.ble, k.clock, k.board, k.console, fs_root=k.root, urandom=os.urandom,
                sync_factory=lambda app: None)
    k.app.start()
    eq(k.app.logstore.days(), [old], "before the first pass")
    k.run_until(T0 + 100)
    eq(k.app.logstore.days(), [], "old day purged")
    eq(k.app.keystore.days(), [DAY - 3, DAY], "old key purged, recent ones kept")


def test_eco_profile_sleeps_between_utc_aligned_windows():
    k = Tok(T0 + 30000, config={"profile": "eco"}, eco_sleep=True)
    cfg = k.app.config
    k.run_until(T0 + 4 * cfg.wake_period_ms + 5000, inject=lambda t: k.air.inject(ADDR, phone(t), -60), every=500)
    eq(len(k.sleeps) >= 3, True, "slept between windows")
    for at, ms in k.sleeps:
        eq((at + ms + cfg.wake_lead_ms) % cfg.wake_period_ms, 0, "wakes before a UTC multiple of the period")
        eq(at % cfg.wake_period_ms >= cfg.wake_window_ms, True, "slept only after the window")
    eq(k.records(), [], "one slot: nothing appended before its end")
    c = saved(k)
    eq(len(c), 1, "the open encounter saved before each sleep")
    eq(0 < c[0][6] < k.app.agg.sightings, True, "with the sightings until the last sleep")
    eq(len(k.sleeps), 4, "one sleep per period: the early wake waits awake for its window")
    eq(k.app.counters["wakes"], 1, "one cold start")
    k.run_until(T0 + ids.SLOT_MS + cfg.wake_window_ms)
    r = k.records()
    eq(len(r), 1, "one record for the slot, at its end")
    eq(r[0][6], k.app.agg.sightings, "with every window's sightings")


def test_eco_stays_awake_while_a_station_talks():
    k = Tok(T0 + 13000, config={"profile": "eco"}, eco_sleep=True)
    k.app.request_sync_mode()
    k.run_until(T0 + 40000)
    eq(k.sleeps, [], "awake while syncing")
    k.run_until(T0 + 80000)
    eq(len(k.sleeps), 1, "sleeps once the station is gone")


def test_led_battery_low_and_flash_full():
    FakeADC.uv = 1600000  # 3.2 V at the battery through a 1:2 divider
    try:
        k = Tok(T0, config=ALWAYS_ON)
        k.run_until(T0 + 100)
        eq(k.board.pattern, board.PAT_BATTERY_LOW, "battery low")
        eq(k.app.battery_mv(), 3200, "mV")
    finally:
        FakeADC.uv = 2000000
    k = Tok(T0 + ids.SLOT_MS - 20000, config={"profile": "always-on", "log_capacity_bytes": 4096, "scan_period_ms": 10000,
                                               "scan_window_ms": 10000})
    n = [0]

    def many(t):  # 100 devices (fewer than the table: no crowd policy), 100 records a slot
        n[0] += 1
        k.air.inject(ADDR, adv.build(bytes((n[0] % 100, 1)) + bytes(10)), -60)

    for edge in (1, 2):  # two slot ends: 200 records, 4,800 bytes
        k.run_until(T0 + edge * ids.SLOT_MS - 20000)
        k.run_until(T0 + edge * ids.SLOT_MS + 20000, inject=many, every=20)
    eq(k.board.pattern, board.PAT_FLASH_FULL, "flash nearly full")


def test_unprovisioned_token_asks_for_sync():
    k = Tok(T0, secret=False)
    k.run_until(T0 + 100)
    eq(k.board.pattern, board.PAT_NEEDS_SYNC, "no secret: bring me to a station")


class EchoSync:
    def __init__(self, ctx):
        self.ctx = ctx

    def feed(self, data):
        return b"<" + data + b">"


def test_console_bytes_go_to_the_sync_server_and_back():
    k = Tok(T0, config=ALWAYS_ON, sync=EchoSync)
    k.console.inq = b"\x00\x03\x7e\x0d\x0a"
    k.app.step()
    eq(k.console.out, b"<\x00\x03\x7e\x0d\x0a>", "raw bytes both ways")
    eq(k.board.pattern, board.PAT_SYNCING, "LED: syncing")
    eq(k.app.sync.ctx is k.app, True, "the app is the context")
    for name in ("logstore", "keystore", "clock", "config", "secret", "board", "fs_root"):
        eq(hasattr(k.app, name), True, name)


def test_button_press_confirms_for_thirty_seconds():
    k = Tok(T0, config=ALWAYS_ON)
    btn = k.board._btn
    btn._v = 0  # pressed (active low)
    k.app.step()
    btn._v = 1
    k.tm.advance(10000)
    eq(k.app.confirm_pressed(), True, "pressed 10 s ago")
    eq(k.app.confirm_pressed(), False, "consumed")
    btn._v = 0
    k.app.step()
    btn._v = 1
    k.tm.advance(31000)
    eq(k.app.confirm_pressed(), False, "too long ago")


def test_reload_applies_a_new_profile():
    k = Tok(T0, config=ALWAYS_ON)
    k.run_until(T0 + 100)
    before = k.ble._adv_interval_us
    with open(k.root + "/config.json", "w") as f:
        f.write(json.dumps({"profile": "eco", "token_id": "T9"}))
    k.app.reload()
    k.run_until(T0 + 200)
    eq(k.app.config.profile, "eco", "new profile")
    eq(k.ble._adv_interval_us != before, True, "new advertising interval on air")
    eq(k.ble.advertising, adv.build(ids.slot_id(k.app.keystore.key_for(DAY), 0)), "still the slot's ID")


def test_a_refused_address_change_keeps_the_new_id_off_the_old_address():
    b = T0 + 7 * ids.SLOT_MS
    k = Tok(b - 1000, config=ALWAYS_ON)
    k.run_until(b - 10)
    real = k.ble.config
    refusals = [3]

    def busy_config(*args, **kw):
        if "addr_mode" in kw and refusals[0] > 0:
            refusals[0] -= 1
            raise OSError(16)  # EBUSY: e.g. a station is connected
        return real(*args, **kw)

    k.ble.config = busy_config
    k.run_until(b + 2000)
    eq(k.app.counters["rotate_errors"], 3, "refusals counted")
    eq(k.app.counters["loop_errors"], 0, "not a loop error")
    key = k.app.keystore.key_for(DAY)
    new = adv.build(ids.slot_id(key, 7))
    on = [e for e in k.events if e[2] is not None]
    eq(on[-1][2], new, "the new ID once the address could change")
    eq(on[-1][1] != on[-2][1], True, "from a new address")
    eq(len([e for e in on if e[2] == new and e[1] == on[-2][1]]), 0, "never from the old address")
    eq(on[-1][0] - b < 1000, True, "retried within a second")


def test_clock_set_back_keeps_scanning_and_flushing():
    k = Tok(T0 + 3 * 3600000, config={"profile": "always-on", "scan_period_ms": 10000, "scan_window_ms": 5000})
    k.run_until(k.tm.ms + 20000)
    k.clock.set_ms(T0 + 3600000)  # the station corrects the clock by two hours back
    t = k.tm.ms
    k.run_until(t + 12000, inject=lambda x: k.air.inject(ADDR, phone(x), -60), every=200)
    eq(k.air.delivered > 0, True, "scanning again within a period")
    k.run_until(t + k.app.config.flush_every_ms + 1000)
    r = [x for x in saved(k) if x[4] >= T0 + 3600000 and x[4] < T0 + 2 * 3600000]
    eq(len(r), 1, "saved on the new time")


def _led_log(k, until):
    """Run until `until`, noting when the LED is lit (virtual ms) between the token's sleeps."""
    lit = []
    while k.tm.ms < until:
        wait = k.app.step()
        if k.board._led_state:
            lit.append(k.tm.ms)
        k.tm.advance(max(1, min(wait, until - k.tm.ms)))
    return lit


def test_eco_clock_not_set_sleeps_between_short_led_pulses():
    k = Tok(T0 + 7000, config={"profile": "eco"}, clock_set=False, eco_sleep=True)
    cfg = k.app.config
    awake, period = cfg.unset_awake_ms, cfg.unset_period_ms
    lit = _led_log(k, T0 + 7000 + 5 * period)
    eq(len(k.sleeps), 5, "one deep sleep per period")
    for i, (at, ms) in enumerate(k.sleeps):
        eq(ms, period - awake, "sleeps the rest of the period")
        eq(at, T0 + 7000 + i * period + awake, "after unset_awake_ms awake")
    for i in range(5):
        start = T0 + 7000 + i * period
        mine = [t for t in lit if start <= t < start + awake]
        eq(len(mine) > 0, True, "the LED asks for a station in every awake time")
    eq(len([t for t in lit if (t - T0 - 7000) % period >= awake]), 0, "dark while asleep")
    eq(k.events, [], "no ID on air")
    k.app.step()  # woken
    eq(k.board.pattern, board.PAT_NEEDS_SYNC, "needs sync")


def test_eco_clock_not_set_stays_awake_while_a_station_talks_then_works():
    k = Tok(T0, config={"profile": "eco"}, clock_set=False, eco_sleep=True)
    cfg = k.app.config
    k.run_until(T0 + cfg.unset_period_ms + 1000)  # one sleep, woken again
    eq(len(k.sleeps), 1, "slept once")
    k.console.inq = b"\xc0hello\xc0"  # a station's first bytes (the fake sync server ignores them)
    k.run_until(k.tm.ms + 50000)
    eq(len(k.sleeps), 1, "awake while the station is there")
    eq(k.app.counters["console_ignored"] > 0, True, "the console was read")
    k.run_until(k.tm.ms + 15000)  # the station went quiet a minute ago
    eq(len(k.sleeps), 2, "asleep again once it is gone")
    # a station that keeps talking sets the clock: the token starts its eco windows
    k.tm.advance(k.sleeps[-1][1])
    k.console.inq = b"\xc0"
    k.app.step()
    now = T0 + 3 * cfg.wake_period_ms + 5000
    k.tm.ms = now
    k.clock.set_ms(now)
    k.console.inq = b"\xc0"
    k.run_until(now + 1000)
    eq(k.ble.advertising is not None, True, "advertising in the window once set")
    eq(k.board.pattern, board.PAT_SYNCING, "the LED shows the station")


def test_eco_clock_not_set_a_button_press_keeps_it_awake():
    k = Tok(T0, config={"profile": "eco"}, clock_set=False, eco_sleep=True)
    btn = k.board._btn
    btn._v = 0  # pressed in the awake time
    k.app.step()
    btn._v = 1
    k.run_until(T0 + 55000)
    eq(k.sleeps, [], "awake for a minute after the press")
    k.run_until(T0 + 65000)
    eq(len(k.sleeps), 1, "then sleeps")


def test_always_on_clock_not_set_never_sleeps():
    k = Tok(T0, config=ALWAYS_ON, clock_set=False, eco_sleep=True)
    k.run_until(T0 + 120000)
    eq(k.sleeps, [], "no deep sleep outside eco")
    eq(k.board.pattern, board.PAT_NEEDS_SYNC, "blinking")

