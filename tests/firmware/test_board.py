# The board from its definition: LED polarity and patterns, button, battery through the ADC divider.
from devfakes import BOARD, FakeADC, FakeMachine, file_root
from fwtest import eq, raises

from bzfw import board
from bzfw.logstore import makedirs


def test_led_polarity_and_patterns():
    b = board.Board(BOARD, FakeMachine)
    led = b._led
    eq(led.value(), 1, "active-low LED starts off (high)")
    b.set_pattern(board.PAT_WORKING)
    b.tick(10)
    eq(led.value(), 0, "on: driven low")
    b.tick(100)
    eq(led.value(), 1, "off again")
    eq(b.next_change_ms(100), 4900, "next flash in 4.9 s")
    b.set_pattern(board.PAT_NEEDS_SYNC)
    on = sum(1 for t in range(0, 10000, 10) if b.led_should_be_on(t))
    eq(on, 300, "needs sync: 30 % on")
    raises(ValueError, b.set_pattern, "disco")
    for name in board.PATTERNS:
        b.set_pattern(name)
        eq(0 < b.next_change_ms(0) <= board.PATTERNS[name][0], True, name)


def test_active_high_led_and_no_features():
    d = {"name": "x", "led": {"pin": 4, "active_low": False}}
    b = board.Board(d, FakeMachine)
    b.set_pattern(board.PAT_SYNCING)
    b.tick(0)
    eq(b._led.value(), 1, "active-high on")
    eq(b.battery_mv(), None, "no divider: no battery reading")
    eq(b.button_pressed(), False, "no button")
    n = board.Board(None, FakeMachine)
    n.set_pattern(board.PAT_WORKING)
    n.tick(0)  # no LED: nothing to do, nothing fails


def test_button_and_battery():
    b = board.Board(BOARD, FakeMachine)
    eq(b.button_pressed(), False, "pull-up: released")
    b._btn._v = 0
    eq(b.button_pressed(), True, "pressed")
    FakeADC.uv = 1950000
    try:
        eq(b.battery_mv(), 3900, "divider 2")
    finally:
        FakeADC.uv = 2000000


def test_check_names_what_is_wrong():
    for bad, word in (
        ([], "object"),
        ({}, "name"),
        ({"name": "x", "led": {"pin": 99}}, "led.pin"),
        ({"name": "x", "button": {"pin": "9"}}, "button.pin"),
        ({"name": "x", "battery": {"divider": 2}}, "battery.adc_pin"),
        ({"name": "x", "battery": {"adc_pin": 3, "divider": 50}}, "battery.divider"),
    ):
        try:
            board.check(bad)
        except ValueError as e:
            eq(word in str(e), True, f"{word} in {e}")
        else:
            raise AssertionError(f"accepted {bad!r}")


def test_load_the_reference_board():
    d = board.load("hardware/boards/esp32c3-supermini.json")
    eq((d["led"]["pin"], d["button"]["pin"]), (8, 9), "SuperMini pins")
    root = file_root("brd")
    makedirs(root)
    raises(ValueError, board.load, root + "/none.json")
