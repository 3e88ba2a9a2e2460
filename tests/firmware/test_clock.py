# The UTC clock: epoch hidden, "not set" after a power loss, kept over a soft reset or deep sleep.
import gc

from devfakes import FakeRTC, FakeTime
from fwtest import eq, raises

from bzfw.clock import MIN_VALID_MS, Clock

T = 1767225600123  # 2026-01-01T00:00:00.123Z


def test_epoch_2000_is_hidden():
    tm = FakeTime(epoch_2000=True)
    c = Clock(FakeRTC(tm), tm)
    eq(c.epoch_ms, 946684800000, "ESP32 epoch")
    c.set_ms(T)
    eq(c.now_ms(), T, "unix ms back")
    eq(tm.time_ns() // 1000000, T - 946684800000, "the RTC counts from 2000")


def test_epoch_1970():
    tm = FakeTime(epoch_2000=False)
    c = Clock(FakeRTC(tm), tm)
    eq(c.epoch_ms, 0, "unix epoch")
    c.set_ms(T + 86400000 * 400 + 7)
    eq(c.now_ms(), T + 86400000 * 400 + 7, "unix ms back")


def test_not_set_after_power_loss_kept_over_reset():
    tm = FakeTime()
    rtc = FakeRTC(tm)
    c = Clock(rtc, tm)
    eq(c.is_set(), False, "a fresh token")
    c.set_ms(T)
    eq(c.is_set(), True, "set by the station")
    tm.advance(3600000)
    eq(Clock(rtc, tm).is_set(), True, "soft reset or deep-sleep wake keeps it")
    rtc.power_loss()
    c2 = Clock(rtc, tm)
    eq(c2.is_set(), False, "power loss")
    eq(c2.now_ms() < MIN_VALID_MS, True, "the RTC restarted at 2000")


def test_marker_without_a_plausible_time_is_not_set():
    tm = FakeTime()
    rtc = FakeRTC(tm)
    c = Clock(rtc, tm)
    c.set_ms(T)
    tm.ms = MIN_VALID_MS - 1
    eq(c.is_set(), False, "an implausible time")


def test_set_rejects_old_times_and_reports_offset():
    tm = FakeTime()
    c = Clock(FakeRTC(tm), tm)
    raises(ValueError, c.set_ms, 1000)
    c.set_ms(T)
    tm.advance(1500)  # 1 s passed, but the token counted 1.5 s: it runs 0.5 s fast
    eq(c.set_ms(T + 1000), -500, "offset corrected")
    eq(c.now_ms(), T + 1000, "now right")
    eq(c.set_count, 2, "sets counted")


def test_forget_and_user_memory():
    tm = FakeTime()
    rtc = FakeRTC(tm)
    c = Clock(rtc, tm)
    c.set_ms(T)
    eq(c.set_user_mem(b"state"), True, "stored")
    eq(c.user_mem(), b"state", "read back")
    eq(c.is_set(), True, "user memory keeps the marker")
    c.forget()
    eq(c.is_set(), False, "forgotten")
    eq(c.user_mem(), b"state", "user memory kept")


def test_rate_correction_holds_over_deep_sleep_and_shrinks_the_error():
    # an RC slow clock 5000 ppm fast: a week later it is 50 minutes ahead; with the station's measured rate the
    # reading stays within a second (whole ms arithmetic), over every wake (a new Clock on the same RTC)
    week = 7 * 86400000
    for rate, worst in ((0, 3000000), (5000000, 1000)):
        tm = FakeTime()
        rtc = FakeRTC(tm)
        c = Clock(rtc, tm)
        c.set_ms(T)
        if rate:
            c.set_rate_ppb(rate)
        c.set_user_mem(b"crowd")
        true = T
        for _ in range(7 * 4):  # six hours at a time: deep sleeps, then a wake (a boot)
            tm.advance(21600000 + 21600000 * 5000 // 1000000)  # the raw count runs 5000 ppm fast
            true += 21600000
            c = Clock(rtc, tm)
        err = c.now_ms() - true
        eq(abs(err) > 2900000 if not rate else abs(err) <= worst, True, "error after a week %d ms" % err)
        eq(c.user_mem(), b"crowd", "the token's own RTC memory kept")
        eq(c.is_set(), True, "still set")
    eq(true - T, week, "a week")
    gc.collect()


def test_rate_is_kept_by_a_set_and_lost_with_the_time():
    tm = FakeTime()
    rtc = FakeRTC(tm)
    c = Clock(rtc, tm)
    c.set_ms(T)
    c.set_rate_ppb(-2000000)  # runs 2000 ppm slow
    eq(c.now_ms(), T, "no jump when the rate is set")
    tm.advance(998000)  # 1000 s of true time counted as 998 s
    eq(c.now_ms(), T + 1000000, "corrected")
    c.set_ms(T + 1000000)
    eq(Clock(rtc, tm).rate_ppb, -2000000, "a later set keeps the rate")
    raises(ValueError, c.set_rate_ppb, 60000000)
    rtc.power_loss()
    c2 = Clock(rtc, tm)
    eq((c2.rate_ppb, c2.is_set()), (0, False), "power loss: no time, no rate")
