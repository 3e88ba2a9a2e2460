# The token application: advertise the current slot's ID, scan on the profile's duty cycle, aggregate
# sightings into encounters, persist them in batches, serve the station over the console.
#
# Everything device-specific is passed in (main.py on a token, the virtual token's main on the unix
# port): the BLE object, the clock, the board, the console, the filesystem root, urandom and
# deepsleep. The App is also the context the sync server gets (see the contract in firmware/README.md:
# logstore, keystore, clock, config, secret, board, fs_root, battery_mv(), confirm_pressed(),
# request_sync_mode()).
import gc
import os

from bzfw import adv, board, checkpoint, config, ids
from bzfw.compat import const
from bzfw.encounters import Aggregator
from bzfw.keystore import KeyStore
from bzfw.logstore import LogStore
from bzfw.radio import Radio

_SLOT_MS = const(900000)
_DAY_MS = const(86400000)
_KIND_ANDROID = const(1)
_KIND_IOS = const(2)
_SECRET_LEN = const(32)
_IDLE_MS = const(1000)  # longest main-loop sleep when nothing is due
_BATTERY_EVERY_MS = const(60000)
_SYNC_HOLD_MS = const(60000)  # stay awake this long after the station last talked (eco)
_SYNC_LED_MS = const(2000)
_PRESS_HOLD_MS = const(30000)  # a button press confirms an export for this long
_EARLY_SLACK_MS = const(500)  # a wake this much earlier than planned still waits awake
_RETRY_MS = const(200)  # retry a refused address change this soon


class App:
    def __init__(self, ble, clock, board_, console, fs_root="/", urandom=None, deepsleep=None, log=None,
                 sync_factory=None):
        self.fs_root = fs_root if fs_root.endswith("/") else fs_root + "/"
        self.clock = clock
        self.board = board_
        self.console = console
        self._urandom = urandom or os.urandom
        self._deepsleep = deepsleep
        self._log = log
        self.counters = {"console_ignored": 0, "write_errors": 0, "loop_errors": 0, "ios_seen": 0,
                         "not_bluezone": 0, "written": 0, "lost_unset": 0, "wakes": 0,
                         "rotate_errors": 0, "ckpt_writes": 0, "ckpt_restored": 0, "ckpt_logged": 0,
                         "ckpt_bad": 0, "ckpt_refused": 0, "scan_busy": 0, "write_deferred": 0}
        self.config = config.load(self.path("config.json"))
        self.secret = self._read_secret()
        self.keystore = KeyStore(self.path("keys"), self._urandom)
        self.logstore = LogStore(self.path("log"), self._log_capacity())
        self._ckpt = self.path("encounters.ckpt")
        c = self.config
        self.agg = Aggregator(max_open=c.max_open, budget=c.crowd_budget)
        self.radio = Radio(ble, qlen=c.queue_len, adv_interval_ms=c.adv_interval_ms)
        self._ble = ble
        self.gatt = None  # BLE sync (bzfw/gattsync.py), where the radio has a GATT server
        self.central = None  # the iOS phone reader (bzfw/ioscentral.py)
        self._evicted = 0  # agg.evicted when its queue of closed records was last written
        self._evict_batch = max(1, c.max_open // 4)
        self._slot = -1  # absolute slot (ms // SLOT_MS) whose ID is on air
        self._day = -1  # day last purged
        self._next_scan = 0  # unix ms
        self._scan_end = 0
        self._next_flush = 0
        self._last_rx = None  # ticks of the last console byte
        self._sync_until = None
        self._press = None
        self._battery = None
        self._battery_at = None
        self._woke = 0  # ticks at start or at the last wake (eco, clock not set)
        self._now = 0
        self._unwritten = []  # (day, record) the log could not take for want of heap; written next time
        self._slot_now = 0  # the scan path's time: absolute slot and ms into it (small ints)
        self._off_now = 0
        self.sync = None
        self._sync_factory = sync_factory
        self.started = False

    # -- context for the sync server -------------------------------------------------------------
    def path(self, name):
        return self.fs_root + name

    def _read_secret(self):
        try:
            with open(self.path("secret"), "rb") as f:
                s = f.read()
        except OSError:
            return None
        return s if len(s) == _SECRET_LEN else None

    def reload(self):
        """Re-read /config.json and /secret (after the station provisioned the token)."""
        self.config = config.load(self.path("config.json"))
        self.secret = self._read_secret()
        self.radio.set_interval(self.config.adv_interval_ms)
        self._slot = -1  # re-advertise now with the new timings
        self._next_scan = 0

    def _log_capacity(self):
        cap = self.config.log_capacity_bytes
        if cap:
            return cap
        try:
            st = os.statvfs(self.fs_root)
            return max(4096, st[0] * st[2] * 3 // 4)  # 3/4 of the filesystem, the rest for keys and slack
        except (OSError, AttributeError):
            return 1 << 20

    def battery_mv(self):
        t = self.clock.ticks_ms()
        if self._battery_at is None or self.clock.ticks_diff(t, self._battery_at) >= _BATTERY_EVERY_MS:
            self._battery_at = t
            try:
                self._battery = self.board.battery_mv()
            except Exception:
                self._battery = None
        return self._battery

    def confirm_pressed(self):
        """True if the wearer pressed the button within the last 30 s (consumes the press)."""
        if self.board.button_pressed():
            self._press = None
            return True
        c = self.clock
        if self._press is not None and c.ticks_diff(c.ticks_ms(), self._press) < _PRESS_HOLD_MS:
            self._press = None
            return True
        return False

    def request_sync_mode(self):
        """A station is talking: flush encounters and stay awake for the next minute."""
        self._sync_until = self.clock.ticks_ms()
        if self.gatt is not None:
            self.gatt.touch(self._sync_until)
        # The station pulls what is on flash: the open encounters go to the log now (the only time a contact
        # gets a second record in a slot; the station merges them), and the emptied checkpoint after them.
        # A few at a time: the whole table's records at once are a large list on a busy token's small heap.
        while True:
            recs = self.agg.flush_some(16)
            if not recs:
                break
            self.persist(recs)
        self.save_checkpoint()

    def ble_sync_mode(self, ms):
        """Station command (wire BLE_SYNC): BLE sync mode for ms, 0 to end it; returns the ms granted
        (0 also when this radio has no GATT server)."""
        g = self.gatt
        if g is None:
            return 0
        if ms <= 0:
            g.leave()
            return 0
        ms = min(ms, 3600000)
        g.enter(self.clock.ticks_ms(), ms)
        return ms

    def stats(self):
        d = dict(self.counters)  # type: dict
        d.update(self.radio.stats())
        for part in (self.gatt, self.central):
            if part is not None:
                d.update(part.stats)
        d["open"] = self.agg.open_count
        d["evicted"] = self.agg.evicted
        d["agg_dropped"] = self.agg.dropped
        d["crowd_refused"] = self.agg.refused  # sightings given no row: weaker than all the table holds
        d["crowd_shed"] = self.agg.shed  # early records of the weakest past the slot's budget
        d["agg_lost"] = self.agg.lost  # sightings inside crowd_shed and agg_dropped records
        d["crowded"] = self.agg.crowded  # the table overflowed in the current slot
        d["sightings"] = self.agg.sightings
        d["ckpt_sightings"] = self.agg.restored  # in encounters reopened from the checkpoint at this start
        d["clock_set"] = self.clock.is_set()
        d["adv_id"] = self.radio.adv_id
        d["log_used"] = self.logstore.used_bytes()
        d["log_capacity"] = self.logstore.capacity
        d["led"] = self.board.pattern
        d.update(self.logstore.stats)
        try:
            d["mem_free"] = gc.mem_free()
        except AttributeError:
            pass
        return d

    def _say(self, msg):
        if self._log is not None:
            self._log(msg)

    # -- start, loop ------------------------------------------------------------------------------
    def start(self):
        self.radio.start()
        if self._sync_factory is not None:
            self.sync = self._sync_factory(self)
        else:
            try:
                from bzfw import syncserver
            except ImportError:  # a build without the sync server: the console is ignored
                syncserver = None  # type: ignore
            if syncserver is not None:
                self.sync = syncserver.SyncServer(self)
        self._start_ble()
        self.agg.restore(self.clock.user_mem())  # after an eco sleep: this slot's crowd counters
        self._load_checkpoint()
        self._woke = self.clock.ticks_ms()
        self.counters["wakes"] += 1
        self.started = True
        if self.config.error:
            self._say("config: " + self.config.error)

    def _start_ble(self):
        # BLE sync mode and the iOS reader; both only route IRQs through the radio and add their counters.
        try:
            from bzfw import gattsync, ioscentral
        except ImportError:  # a build without them
            return
        cfg = self.config
        srv = self._sync_factory(self) if self._sync_factory is not None else None
        if srv is None and self.sync is not None:
            srv = type(self.sync)(self)
        if srv is not None:
            g = gattsync.GattSync(self._ble, srv, self.clock, self.radio, self.board, cfg.ble_sync_ms,
                                  cfg.long_press_ms)
            if g.register():
                self.gatt = g
        self.central = ioscentral.IosCentral(self._ble, self.clock, self.agg.add, cfg.ios_reads_per_min,
                                              self.agg.add_run)
        self.radio.on_irq = self._ble_irq

    def _ble_irq(self, event, data):
        r = None
        if self.gatt is not None:
            r = self.gatt.irq(event, data)
        if self.central is not None:
            self.central.irq(event, data)
        return r

    def run(self, until=None):
        """The main loop. until: a function returning True to stop (tests, the virtual token)."""
        if not self.started:
            self.start()
        while until is None or not until():
            try:
                wait = self.step()
            except MemoryError:
                gc.collect()
                self.counters["loop_errors"] += 1
                wait = 10
            except Exception as e:  # a token keeps running; the count shows up in the status
                self.counters["loop_errors"] += 1
                self._say("loop error: %r" % (e,))
                wait = 100
            self.console.wait(wait)

    def step(self):
        """One pass of the main loop; returns how many ms it may sleep before the next pass."""
        c = self.clock
        tk = c.ticks_ms()
        self._serve_console(tk)
        if self.board.button_pressed():
            self._press = tk
        due = _IDLE_MS
        if self.gatt is not None:
            due = min(due, self.gatt.step(tk))
        if c.is_set():
            now = c.now_ms()
            self._now = now
            due = min(due, self._run_radio(now, tk))
        else:
            self._clock_unset()
            if self.config.deep_sleep:
                r = self._eco_unset(tk)
                if r is None:
                    return 1  # slept (a test's deepsleep returned)
                due = min(due, r)
        self._led(tk)
        due = min(due, self.board.next_change_ms(tk))
        if self.radio.scanning or self.radio.pending():
            due = min(due, config.LOOP_MS)
        return max(due, 1)

    # -- console ----------------------------------------------------------------------------------
    def _serve_console(self, tk):
        data = self.console.read()
        if not data:
            return
        self._last_rx = tk
        if self.sync is None:
            self.counters["console_ignored"] += len(data)
            return
        out = self.sync.feed(data)  # type: ignore
        if out:
            self.console.write(out)

    # -- the radio, with the clock set ------------------------------------------------------------
    def _run_radio(self, now, tk):
        cfg = self.config
        # The scan path sees the time as small ints (the slot number and ms into it, computed here once a
        # pass): on the 32-bit ESP32 a unix-ms value is a heap bigint, allocated at every use.
        slot_now = now // _SLOT_MS
        self._slot_now = slot_now
        self._off_now = now - slot_now * _SLOT_MS
        self.radio.drain_at(self._on_result_at)
        day = now // _DAY_MS
        if day != self._day:
            self._daily(day)
        slot = now // _SLOT_MS
        if self._next_flush > now + cfg.flush_every_ms or self._next_scan > now + cfg.scan_period_ms:
            # The station set the clock back: timers set on the old time would wait that much longer.
            self._next_flush = now + cfg.flush_every_ms
            self._next_scan = 0
        if slot != self._slot:
            # Close the ended slots (also those of encounters restored from the checkpoint at a start).
            recs = self.agg.close_before(slot * _SLOT_MS)
            if recs:
                self.persist(recs)
                self.save_checkpoint()  # after the append: a cut in between is found by checkpoint.load
            self._evicted = self.agg.evicted
            if not self._rotate(now, slot):
                return _RETRY_MS
        if now >= self._next_flush:
            if self._next_flush:
                # Early records (a crowd) to the log, the open encounters to the checkpoint: a cut loses at
                # most flush_every_ms of sightings, and no contact gets a second record in its slot.
                self.persist(self.agg.close_before(slot * _SLOT_MS))
                self._evicted = self.agg.evicted
                self.save_checkpoint()
            self._next_flush = now + cfg.flush_every_ms
        if cfg.deep_sleep:
            r = self._eco(now, tk)
            if r is not None:
                return r
        else:
            self._duty_scan(now, cfg.scan_period_ms, cfg.scan_window_ms)
        next_slot = (slot + 1) * _SLOT_MS - now
        due = min(next_slot, self._next_flush - now)
        if not self.radio.scanning:
            due = min(due, self._next_scan - now)
        if self.central is not None and self.central.reads_per_min:
            due = min(due, self.central.step(now, self.radio.scanning))
        return due

    def _rotate(self, now, slot):
        key = self.keystore.key_for(now // _DAY_MS)
        bz_id = ids.slot_id(key, slot % ids.SLOTS_PER_DAY)
        if self.central is not None:
            self.central.cancel()  # a pending connect keeps the controller initiating: it would refuse
        try:
            resume = self.radio.rotate(bz_id)
        except OSError as e:
            self.counters["rotate_errors"] += 1
            self._say("rotate: %r" % (e,))
            return False
        if resume is None:
            # The controller kept the old address (read back unchanged; nothing raises on a token): the new
            # ID must not go out from the old address, so the token stays silent and retries shortly.
            self.counters["rotate_errors"] += 1
            return False
        self._slot = slot
        if resume and now < self._scan_end:
            self.radio.scan(self._scan_end - now)
        return True

    def _duty_scan(self, now, period, window):
        r = self.radio
        if r.scanning and now >= self._scan_end:
            r.stop_scan()  # over on our clock: do not wait for the stack's end-of-scan IRQ
        busy = self.central is not None and self.central.connecting  # NimBLE cannot scan while it connects
        if not r.scanning and now >= self._next_scan and not busy:
            start = now - now % period  # scans aligned to UTC multiples of the period
            end = start + window
            if now < end:
                try:
                    r.scan(end - now)
                except OSError:  # EBUSY: the stack still initiates a connection; try again next pass
                    self.counters["scan_busy"] += 1
                    return
                self._scan_end = end
            self._next_scan = start + period

    def _daily(self, day):
        self._day = day
        try:
            self.logstore.purge(day)
            self.keystore.purge(day)
        except OSError as e:
            self.counters["write_errors"] += 1
            self._say("purge: %r" % (e,))
        gc.collect()

    def _on_result_at(self, rssi, o):
        # One scan result, at radio.buf[o:] (see Radio.drain_at): nothing allocated for a contact already
        # open in this slot (adv.locate, Aggregator.add_at), times as small ints.
        buf = self.radio.buf
        r = adv.locate(buf, o + 8, o + 8 + buf[o])
        kind = r & 3
        if kind == _KIND_ANDROID:
            self.agg.add_at(kind, buf, r >> 2, rssi, self._slot_now, self._off_now)
            if self.agg.evicted - self._evicted >= self._evict_batch:
                self._write_evicted()
        elif kind == _KIND_IOS:
            self.counters["ios_seen"] += 1
            if self.central is not None:
                self.central.seen(self.radio.addr_type, bytes(buf[o + 2:o + 8]), rssi, self._now)
        else:
            self.counters["not_bluezone"] += 1

    def _on_result(self, rssi, addr, data):
        kind, bz_id = adv.parse(data)
        if kind == _KIND_ANDROID:
            self.agg.add(kind, bz_id, rssi, self._now)
            if self.agg.evicted - self._evicted >= self._evict_batch:
                self._write_evicted()
        elif kind == _KIND_IOS:
            # An iOS phone's ID needs a GATT read: queued for the reader (it logs what it reads).
            self.counters["ios_seen"] += 1
            if self.central is not None:
                self.central.seen(self.radio.addr_type, addr, rssi, self._now)
        else:
            self.counters["not_bluezone"] += 1

    def _write_evicted(self):
        # A crowd: more contacts than open encounters. Those closed early wait in a queue as long as the
        # table; write them before it overflows (close_before(slot start) closes nothing else).
        self.persist(self.agg.close_before(max(0, self._slot) * _SLOT_MS))
        self._evicted = self.agg.evicted

    def save_checkpoint(self):
        """Replace the checkpoint file by the open encounters (bzfw/checkpoint.py)."""
        try:
            checkpoint.save(self._ckpt, self.agg, self.logstore)
            self.counters["ckpt_writes"] += 1
        except OSError as e:
            self.counters["write_errors"] += 1
            self._say("checkpoint: %r" % (e,))

    def _load_checkpoint(self):
        # At a start (a power-on, a reset or an eco wake): reopen the encounters saved last; those of an
        # ended slot are closed to the log at the first pass with the clock set.
        try:
            restored, logged, refused = checkpoint.load(self._ckpt, self.agg, self.logstore)
        except (OSError, ValueError) as e:
            self.counters["ckpt_bad"] += 1
            self._say("checkpoint: %r" % (e,))
            return
        self.counters["ckpt_restored"] += restored
        self.counters["ckpt_logged"] += logged  # already in a record: a cut came after the append
        self.counters["ckpt_refused"] += refused  # rows the table could not take back: counted, not silent

    def persist(self, recs):
        """Append (day, record) pairs to the log, one batch per day. A batch the heap cannot take now
        (MemoryError: a busy token has little free) is kept and written at the next persist, never
        dropped: the records have already left the aggregator."""
        if self._unwritten:
            recs = self._unwritten + list(recs)
            self._unwritten = []
        i = 0
        n = len(recs)
        while i < n:
            day = recs[i][0]
            j = i
            batch = []
            while i < n and recs[i][0] == day:
                batch.append(recs[i][1])
                i += 1
            try:
                self.counters["written"] += self.logstore.append(day, batch)
            except MemoryError:
                gc.collect()
                self.counters["write_deferred"] += 1
                self._unwritten.extend(recs[j:i])
            except (OSError, ValueError) as e:
                self.counters["write_errors"] += 1
                self._say("log append: %r" % (e,))

    # -- the clock is not set: no IDs on air, nothing logged -------------------------------------
    def _clock_unset(self):
        r = self.radio
        if r.adv_id is not None:
            r.stop_advertising()
        r.stop_scan()
        self.counters["lost_unset"] += r.discard()
        if self._slot >= 0:
            # Encounters aggregated while the time was good are still good.
            self.persist(self.agg.flush())
            self.save_checkpoint()
        self._slot = -1
        self._next_scan = 0
        self._next_flush = 0

    def _eco_unset(self, tk):
        # Eco, clock not set: awake unset_awake_ms (the LED pulses "bring me to a station", the console is
        # read) every unset_period_ms, deep sleep in between, so a token that lost power lasts weeks, not a
        # day. A station's byte, a button press or BLE sync mode keeps it awake (_SYNC_HOLD_MS after the last
        # one); a station therefore reaches it within one period. Returns ms to the end of the awake time, or
        # None after sleeping.
        cfg = self.config
        c = self.clock
        left = cfg.unset_awake_ms - c.ticks_diff(tk, self._woke)
        pressed = self._press is not None and c.ticks_diff(tk, self._press) < _SYNC_HOLD_MS
        if left > 0 or self._deepsleep is None or pressed or self._in_sync(tk):
            return max(left, 1) if left > 0 else _IDLE_MS
        self.radio.stop()
        self.board.set_pattern(board.PAT_OFF)
        self.board.led(False)
        self._deepsleep(cfg.unset_period_ms - cfg.unset_awake_ms)  # does not return on a token
        self.radio.start()  # a test's deepsleep returns: carry on as after a wake
        self._woke = c.ticks_ms()
        return None

    # -- eco profile: deep sleep between UTC-aligned wake windows --------------------------------
    def _in_sync(self, tk):
        c = self.clock
        for t in (self._last_rx, self._sync_until):
            if t is not None and c.ticks_diff(tk, t) < _SYNC_HOLD_MS:
                return True
        return self.gatt is not None and (self.gatt.active or self.gatt.conn is not None)

    def _eco(self, now, tk):
        cfg = self.config
        period = cfg.wake_period_ms
        start = now - now % period
        end = start + cfg.wake_window_ms
        nxt = start + period
        if now < end or self._deepsleep is None or self._in_sync(tk):
            # In the window: advertise all of it, scan its first scan_window_ms.
            self._duty_scan(now, period, min(cfg.scan_window_ms, cfg.wake_window_ms))
            return end - now if now < end else None
        if nxt - now <= cfg.wake_lead_ms + _EARLY_SLACK_MS:
            return nxt - now  # woke early for the next window: wait for it awake
        # Ended slots to the log; the open encounters to the checkpoint, reopened at the wake (RAM does not
        # survive a deep sleep), so a contact still gets one record per slot.
        self.persist(self.agg.close_before(now))
        self.save_checkpoint()
        self.clock.set_user_mem(self.agg.state())  # the crowd counters of this slot outlive the sleep
        self.radio.stop()
        self.board.led(False)
        # Wake early by the boot and BLE start-up time, so the token is up when the window opens.
        self._deepsleep(nxt - cfg.wake_lead_ms - now)  # does not return on a token
        self.radio.start()  # a test's deepsleep returns: carry on as after a wake
        self._slot = -1
        self._next_scan = 0
        return 1

    # -- LED ----------------------------------------------------------------------------------------
    def _led(self, tk):
        b = self.board
        if self.gatt is not None and self.gatt.active:
            p = board.PAT_SYNCING  # BLE sync mode: the wearer held the button, the token waits for a station
        elif not self.clock.is_set() or self.config.error or self.secret is None:
            p = board.PAT_NEEDS_SYNC
        elif self._last_rx is not None and self.clock.ticks_diff(tk, self._last_rx) < _SYNC_LED_MS:
            p = board.PAT_SYNCING
        elif self.logstore.used_bytes() * 100 >= self.logstore.capacity * self.config.flash_full_pct:
            p = board.PAT_FLASH_FULL
        else:
            mv = self.battery_mv()
            low = mv is not None and mv < self.config.low_battery_mv
            p = board.PAT_BATTERY_LOW if low else board.PAT_WORKING
        b.set_pattern(p)
        b.tick(tk)
