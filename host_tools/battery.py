"""A token's battery charge from its voltage: the one curve the station shows (percent) and warns from.

A single Li-ion/LiPo cell (LiCoO2 or NMC against graphite) at rest, room temperature: open-circuit voltage
against state of charge, the usual points (4.20 V full, about 3.7 V half, 3.3 V nearly empty; Battery
University BU-501 "Basics about Discharging" and BU-903 "How to Measure State-of-charge": voltage is a coarse
measure of charge, off by up to about 20 % on a cell under load or just off the charger). Tokens report what
their ADC read (firmware/bzfw/board.py battery_mv), under a small load: the figure is an estimate, shown rounded
to 5 %."""

from bisect import bisect_left

# (mV, %), rising
CURVE = ((3300, 0), (3500, 5), (3600, 10), (3700, 30), (3750, 45), (3800, 55), (3850, 65), (3900, 72),
         (3950, 78), (4000, 84), (4050, 89), (4100, 94), (4150, 97), (4200, 100))
LOW_PCT = 10  # the station's "battery low" warning: below this, a token may not last to the next visit


def percent(mv: int | None) -> int | None:
    """0-100 in steps of 5 (None when the token cannot measure its battery)."""
    if mv is None or mv <= 0:
        return None
    if mv <= CURVE[0][0]:
        return 0
    if mv >= CURVE[-1][0]:
        return 100
    i = bisect_left([v for v, _ in CURVE], mv)
    (v0, p0), (v1, p1) = CURVE[i - 1], CURVE[i]
    pct = p0 + (p1 - p0) * (mv - v0) / (v1 - v0)
    return int(5 * round(pct / 5))
