# The token's UTC clock: unix milliseconds from the RTC, set by the station.
#
# The ESP32 port counts time from 2000-01-01, the unix port from 1970-01-01: the epoch is found from
# time.gmtime(0) and hidden here, so the rest of the firmware only sees unix ms.
# "Set" means the station set it since the last power loss. A marker in RTC memory survives deep
# sleep and soft reset but not a power loss, which also resets the RTC; without the marker (or with a
# time before MIN_VALID_MS) the clock is not set, and the token must neither advertise IDs nor log.
# rtc: an object with datetime(tuple) and memory([bytes]) (machine.RTC); tm: the time module (or a
# stand-in with the same functions, e.g. a virtual clock that runs faster than real time).
#
# Clock discipline: in deep sleep a stock ESP32-C3 counts time on its RC slow clock (thousands of ppm,
# scenarios/README.md "Physics"). The station measures the rate between two syncs and hands it to the
# token (set_rate_ppb); from then on every reading is corrected linearly from the last set:
#     now = raw - (raw - anchor) * rate / (1 + rate)        (rate = rate_ppb / 1e9)
# where raw is the RTC's own count and anchor the time it was last set. The rate and the anchor live in RTC
# memory after a second marker, so the correction holds over deep sleep (every wake is a boot) and is lost
# with the time itself at a power loss. No boot or sleep hook is needed: the map is applied at each read.
import struct

from bzfw.compat import const

_EPOCH_2000_MS = const(946684800000)
MIN_VALID_MS = 1704067200000  # 2024-01-01: anything earlier is an RTC that lost power
_MARK = b"BZCK"  # RTC memory: marker, then the token's own use after it
_MARK_R = b"BZCR"  # a clock with a rate: marker, rate_ppb i32 LE, anchor_ms i64 LE, then the token's own use
_HDR_R = const(16)
MAX_RATE_PPB = const(50000000)  # 5 %: beyond it the clock is broken, not drifting


class Clock:
    def __init__(self, rtc, tm):
        self._rtc = rtc
        self._tm = tm
        self.epoch_ms = _EPOCH_2000_MS if tm.gmtime(0)[0] == 2000 else 0
        self.set_count = 0
        self.rate_ppb = 0  # the rate correction in force (parts per billion the raw count runs fast)
        self._anchor = 0
        mem = self._mem()
        if bytes(mem[:4]) == _MARK_R and len(mem) >= _HDR_R:
            self.rate_ppb, self._anchor = struct.unpack("<iq", bytes(mem[4:_HDR_R]))

    def _mem(self):
        try:
            return bytes(self._rtc.memory())
        except Exception:
            return b""

    def _raw_ms(self):
        return self._tm.time_ns() // 1000000 + self.epoch_ms

    def now_ms(self):
        raw = self._raw_ms()
        if self.rate_ppb:
            return raw - (raw - self._anchor) * self.rate_ppb // (1000000000 + self.rate_ppb)
        return raw

    def is_set(self):
        try:
            mem = self._rtc.memory()
        except Exception:  # an RTC without memory: trust the time alone
            mem = _MARK
        return bytes(mem[:4]) in (_MARK, _MARK_R) and self.now_ms() >= MIN_VALID_MS

    def set_ms(self, ms):
        """Set the RTC to unix ms (UTC) and mark the clock set; returns the offset corrected (new - old)."""
        if ms < MIN_VALID_MS:
            raise ValueError("time before 2024")
        old = self.now_ms()
        self._set_raw(ms)
        self._anchor = ms
        self._write_mark(True)
        self.set_count += 1
        return ms - old

    def _set_raw(self, ms):
        t = self._tm.gmtime((ms - self.epoch_ms) // 1000)
        # RTC.datetime: (year, month, day, weekday, hours, minutes, seconds, subseconds in us)
        self._rtc.datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], (ms % 1000) * 1000))

    def set_rate_ppb(self, ppb):
        """Correct readings from now on for a raw count that runs `ppb` parts per billion fast (negative:
        slow), as the station measured it. The clock reads the same time at this instant (re-anchored)."""
        if not -MAX_RATE_PPB <= ppb <= MAX_RATE_PPB:
            raise ValueError("rate beyond 5 %")
        now = self.now_ms()
        self._set_raw(now)
        self._anchor = now
        self.rate_ppb = ppb
        self._write_mark(True)

    def forget(self):
        """Drop the "set" marker (tests; a station that wants the token to ask for sync)."""
        self._write_mark(False)

    def _hdr(self, mem):
        return _HDR_R if bytes(mem[:4]) == _MARK_R and len(mem) >= _HDR_R else 4

    def _write_mark(self, on):
        try:
            mem = bytes(self._rtc.memory())
        except Exception:
            return
        user = mem[self._hdr(mem):] if len(mem) >= 4 else b""
        if not on:
            head = b"\x00\x00\x00\x00"
        elif self.rate_ppb:
            head = _MARK_R + struct.pack("<iq", self.rate_ppb, self._anchor)
        else:
            head = _MARK
        self._rtc.memory(head + user)

    # RTC memory after the marker (and the rate): small state that must survive deep sleep (eco profile).
    def user_mem(self):
        mem = self._mem()
        return mem[self._hdr(mem):] if len(mem) >= 4 else b""

    def set_user_mem(self, data):
        try:
            mem = bytes(self._rtc.memory())
        except Exception:
            return False
        head = mem[:self._hdr(mem)] if len(mem) >= 4 else b"\x00\x00\x00\x00"
        self._rtc.memory(head + bytes(data))
        return True

    # Monotonic time and waits, in the same timebase as now_ms (a fast virtual clock scales these).
    def ticks_ms(self):
        return self._tm.ticks_ms()

    def ticks_diff(self, a, b):
        return self._tm.ticks_diff(a, b)

    def sleep_ms(self, ms):
        self._tm.sleep_ms(ms)
