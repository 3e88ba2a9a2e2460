# The board: LED, button and battery sense, from a board definition (/board.json, a copy of
# hardware/boards/NAME.json; format in hardware/README.md), so a new board needs no code.
# `machine` is passed in (the real module on a token, a stand-in on the virtual token); a board
# without an LED, button or battery divider simply lacks that feature.
import json

from bzfw.compat import const

# LED patterns: (period ms, ((on_from, on_to), ...)). Short flashes: the LED is the biggest load
# after the radio. Priority (highest first): needs_sync, flash_full, battery_low, working.
PAT_OFF = "off"
PAT_WORKING = "working"  # one 40 ms flash every 5 s
PAT_BATTERY_LOW = "battery_low"  # two flashes every 5 s
PAT_FLASH_FULL = "flash_full"  # three flashes every 5 s
PAT_NEEDS_SYNC = "needs_sync"  # 300 ms on every second: "bring me to a station"
PAT_SYNCING = "syncing"  # steady on while a station talks to the token

PATTERNS = {
    PAT_OFF: (1000, ()),
    PAT_WORKING: (5000, ((0, 40),)),
    PAT_BATTERY_LOW: (5000, ((0, 40), (300, 340))),
    PAT_FLASH_FULL: (5000, ((0, 40), (300, 340), (600, 640))),
    PAT_NEEDS_SYNC: (1000, ((0, 300),)),
    PAT_SYNCING: (1000, ((0, 1000),)),
}

_ADC_ATTN_11DB = const(3)


def load(path):
    """The board definition dict from a JSON file; raises ValueError naming what is wrong."""
    try:
        f = open(path)
    except OSError:
        raise ValueError("no board definition at %s" % path)
    try:
        d = json.load(f)
    finally:
        f.close()
    check(d)
    return d


def _pin_of(d, key):
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, dict) or not isinstance(v.get("pin"), int) or not 0 <= v["pin"] <= 48:
        raise ValueError("board: %s.pin must be a GPIO number 0..48" % key)
    return v


def check(d):
    if not isinstance(d, dict):
        raise ValueError("board definition is not a JSON object")
    if not isinstance(d.get("name"), str):
        raise ValueError("board: name missing")
    _pin_of(d, "led")
    _pin_of(d, "button")
    b = d.get("battery")
    if b is not None:
        if not isinstance(b, dict) or not isinstance(b.get("adc_pin"), int):
            raise ValueError("board: battery.adc_pin must be a GPIO number")
        div = b.get("divider", 1)
        if not isinstance(div, (int, float)) or not 1 <= div <= 20:
            raise ValueError("board: battery.divider must be 1..20")
    return d


class Board:
    def __init__(self, defn, machine):
        self.defn = defn or {"name": "none"}
        self.name = self.defn.get("name")
        self._led = None
        self._led_on_level = 1
        self._btn = None
        self._btn_level = 0
        self._adc = None
        self._div = 1
        self.pattern = PAT_OFF
        self._led_state = None
        d = self.defn
        led = _pin_of(d, "led")
        if led is not None:
            self._led_on_level = 0 if led.get("active_low") else 1
            self._led = machine.Pin(led["pin"], machine.Pin.OUT, value=1 - self._led_on_level)
        btn = _pin_of(d, "button")
        if btn is not None:
            low = btn.get("active_low", True)
            pull = btn.get("pull", "up" if low else "down")
            if pull == "up":
                self._btn = machine.Pin(btn["pin"], machine.Pin.IN, machine.Pin.PULL_UP)
            elif pull == "down":
                self._btn = machine.Pin(btn["pin"], machine.Pin.IN, machine.Pin.PULL_DOWN)
            else:  # an external pull resistor
                self._btn = machine.Pin(btn["pin"], machine.Pin.IN)
            self._btn_level = 0 if low else 1
        bat = d.get("battery")
        if bat is not None:
            self._adc = machine.ADC(machine.Pin(bat["adc_pin"]))
            try:
                self._adc.atten(_ADC_ATTN_11DB)  # full range (about 0-2.5 V on an ESP32-C3)
            except (AttributeError, ValueError):
                pass
            self._div = bat.get("divider", 1)

    def led(self, on):
        if self._led is not None and on != self._led_state:
            self._led_state = on
            self._led.value(self._led_on_level if on else 1 - self._led_on_level)

    def set_pattern(self, name):
        if name not in PATTERNS:
            raise ValueError("unknown LED pattern %r" % (name,))
        self.pattern = name

    def led_should_be_on(self, t_ms):
        period, spans = PATTERNS[self.pattern]
        p = t_ms % period
        for a, b in spans:
            if a <= p < b:
                return True
        return False

    def tick(self, t_ms):
        """Drive the LED for the current pattern at time t_ms (any monotonic ms)."""
        self.led(self.led_should_be_on(t_ms))

    def next_change_ms(self, t_ms):
        """ms until the LED must change next (lets the main loop sleep exactly that long)."""
        period, spans = PATTERNS[self.pattern]
        p = t_ms % period
        best = period - p
        for a, b in spans:
            for e in (a, b):
                if e > p and e - p < best:
                    best = e - p
        return best

    def button_pressed(self):
        return self._btn is not None and self._btn.value() == self._btn_level

    def battery_mv(self):
        """Battery voltage in mV, or None when the board cannot measure it."""
        if self._adc is None:
            return None
        try:
            uv = self._adc.read_uv()
        except AttributeError:
            uv = self._adc.read_u16() * 2500000 // 65535
        return int(uv * self._div // 1000)
