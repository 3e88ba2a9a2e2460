# The token's UTC clock: unix milliseconds from the RTC, set by the station.
#
# The ESP32 port counts time from 2000-01-01, the unix port from 1970-01-01: the epoch is found from
# time.gmtime(0) and hidden here, so the rest of the firmware only sees unix ms.
# "Set" means the station set it since the last power loss. A marker in RTC memory survives deep
# sleep and soft reset but not a power loss, which also resets the RTC; without the marker (or with a
# time before MIN_VALID_MS) the clock is not set, and the token must neither advertise IDs nor log.
# rtc: an object with datetime(tuple) and memory([bytes]) (machine.RTC); tm: the time module (or a
# stand-in with the same functions, e.g. a virtual clock that runs faster than real time).
from bzfw.compat import const

_EPOCH_2000_MS = const(946684800000)
MIN_VALID_MS = 1704067200000  # 2024-01-01: anything earlier is an RTC that lost power
_MARK = b"BZCK"  # RTC memory: marker, then the token's own use after it


class Clock:
    def __init__(self, rtc, tm):
        self._rtc = rtc
        self._tm = tm
        self.epoch_ms = _EPOCH_2000_MS if tm.gmtime(0)[0] == 2000 else 0
        self.set_count = 0

    def now_ms(self):
        return self._tm.time_ns() // 1000000 + self.epoch_ms

    def is_set(self):
        try:
            mem = self._rtc.memory()
        except Exception:  # an RTC without memory: trust the time alone
            mem = _MARK
        return bytes(mem[:4]) == _MARK and self.now_ms() >= MIN_VALID_MS

    def set_ms(self, ms):
        """Set the RTC to unix ms (UTC) and mark the clock set; returns the offset corrected (new - old)."""
        if ms < MIN_VALID_MS:
            raise ValueError("time before 2024")
        old = self.now_ms()
        t = self._tm.gmtime((ms - self.epoch_ms) // 1000)
        # RTC.datetime: (year, month, day, weekday, hours, minutes, seconds, subseconds in us)
        self._rtc.datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], (ms % 1000) * 1000))
        self._write_mark(True)
        self.set_count += 1
        return ms - old

    def forget(self):
        """Drop the "set" marker (tests; a station that wants the token to ask for sync)."""
        self._write_mark(False)

    def _write_mark(self, on):
        try:
            mem = bytearray(self._rtc.memory())
        except Exception:
            return
        if len(mem) < 4:
            mem = bytearray(4)
        mem[0:4] = _MARK if on else b"\x00\x00\x00\x00"
        self._rtc.memory(bytes(mem))

    # RTC memory after the marker: small state that must survive deep sleep (eco profile).
    def user_mem(self):
        try:
            return bytes(self._rtc.memory()[4:])
        except Exception:
            return b""

    def set_user_mem(self, data):
        try:
            mem = bytes(self._rtc.memory()[:4])
        except Exception:
            return False
        if len(mem) < 4:
            mem = b"\x00\x00\x00\x00"
        self._rtc.memory(mem + bytes(data))
        return True

    # Monotonic time and waits, in the same timebase as now_ms (a fast virtual clock scales these).
    def ticks_ms(self):
        return self._tm.ticks_ms()

    def ticks_diff(self, a, b):
        return self._tm.ticks_diff(a, b)

    def sleep_ms(self, ms):
        self._tm.sleep_ms(ms)
