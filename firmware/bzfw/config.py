# The token's configuration (/config.json, written at provisioning) and its duty-cycle profiles.
#
# A profile is a named set of timings; keys in the config override single values. A bad config never
# bricks a token: load() falls back to the defaults and says what was wrong in `error` (the app then
# shows "needs sync" so a station can fix it). Why these defaults: firmware/README.md, "Profiles".
import json

from bzfw.compat import const

PROFILE_ALWAYS_ON = "always-on"
PROFILE_ECO = "eco"
PROFILE_CYCLE = "cycle"
# The profile a station provisions unless told otherwise: the one that lasts a sync cycle (three weeks and
# more) on a 1000 mAh cell, chosen from the simulator's sweep (firmware/README.md, "Profiles").
DEFAULT_PROFILE = PROFILE_CYCLE

# All times in ms.
PROFILES = {
    # Continuous advertising at 200 ms (phones scan 40 s of every 300 s in the background: they must
    # find us whenever they look); a 5 s scan every 50 s. 50 s is not a multiple of the phones' 30 s
    # advertising cycle (15 s on, 15 s off), so the scan's phase walks over that cycle and every
    # backgrounded Android phone is heard at least once in each 150 s.
    PROFILE_ALWAYS_ON: {
        "adv_interval_ms": 200,
        "scan_period_ms": 50000,
        "scan_window_ms": 5000,
        "wake_period_ms": 0,
        "wake_window_ms": 0,
        "wake_lead_ms": 0,
        "ios_reads_per_min": 6,  # awake anyway: a GATT read of an iOS phone costs little (bzfw/ioscentral.py)
    },
    # Deep sleep between 12 s wake windows every 120 s, aligned to UTC so that tokens wake together
    # and hear each other; in a window the token advertises at 100 ms and scans the first 10 s.
    # It wakes 2 s early: boot and BLE start-up on an ESP32-C3 take about that.
    PROFILE_ECO: {
        "adv_interval_ms": 100,
        "scan_period_ms": 120000,
        "scan_window_ms": 10000,
        "wake_period_ms": 120000,
        "wake_window_ms": 12000,
        "wake_lead_ms": 2000,  # boot + BLE start-up: the deep sleep ends this much before the window
        "ios_reads_per_min": 0,  # a read would stretch the wake window: off unless configured
    },
    # Lasts a sync cycle: deep sleep between 3 s windows every 300 s (woken 2 s early to boot), advertising
    # at 100 ms and scanning the whole window. About 31 days on 1000 mAh on an ESP32-C3 SuperMini with its
    # board overheads (`bztoken power`); 300 s is the backgrounded Android phones' scan cycle, so their 40 s
    # scans drift across our windows rather than beat against them. Its detection under the RC clock is
    # weak: scenarios/README.md and hardware/POWER.md say what would fix it.
    PROFILE_CYCLE: {
        "adv_interval_ms": 100,
        "scan_period_ms": 300000,
        "scan_window_ms": 3000,
        "wake_period_ms": 300000,
        "wake_window_ms": 3000,
        "wake_lead_ms": 2000,
        "ios_reads_per_min": 0,
    },
}

_LIMITS = {
    "adv_interval_ms": (20, 10240),
    "scan_period_ms": (1000, 3600000),
    "scan_window_ms": (100, 3600000),
    "wake_period_ms": (0, 3600000),
    "wake_window_ms": (0, 3600000),
    "wake_lead_ms": (0, 60000),
    "ios_reads_per_min": (0, 60),
    "ble_sync_ms": (2000, 3600000),
    "long_press_ms": (500, 30000),
    "flush_every_ms": (10000, 3600000),
    "max_open": (8, 1024),
    "crowd_budget": (0, 4096),
    "unset_period_ms": (5000, 3600000),
    "unset_awake_ms": (1000, 60000),
    "queue_len": (4, 256),
    "log_capacity_bytes": (4096, 1 << 30),
    "low_battery_mv": (0, 5000),
    "flash_full_pct": (50, 100),
}

_DEFAULTS = {
    "flush_every_ms": 180000,  # persist encounters every 3 min (and at every slot end)
    "max_open": 128,  # open encounters kept in RAM (one per contact and slot)
    "crowd_budget": 64,  # a crowd beyond max_open: records closed early per slot (bzfw/encounters.py)
    # eco, clock not set: awake unset_awake_ms (LED pulses, console listened to) every unset_period_ms,
    # deep sleep in between; a station's first byte keeps the token awake (firmware/README.md, "Profiles")
    "unset_period_ms": 30000,
    "unset_awake_ms": 3000,
    "queue_len": 32,  # scan results buffered between the IRQ and the main loop
    "log_capacity_bytes": 0,  # 0: 3/4 of the filesystem's free space at boot
    "low_battery_mv": 3400,
    "flash_full_pct": 90,  # LED asks for a sync when the log is this full
    "ble_sync_ms": 120000,  # BLE sync mode ends this long after entering or the station's last request
    "long_press_ms": 3000,  # holding the button this long enters BLE sync mode
}

LOOP_MS = const(50)  # main-loop wake-up at most this long after an event


class Config:
    def __init__(self, data=None):
        self.error = None
        self.token_id = None
        self.profile = DEFAULT_PROFILE
        self.board = None
        self.raw = {}
        self.adv_interval_ms = self.scan_period_ms = self.scan_window_ms = 0
        self.wake_period_ms = self.wake_window_ms = self.wake_lead_ms = self.flush_every_ms = 0
        self.max_open = self.queue_len = self.log_capacity_bytes = self.crowd_budget = 0
        self.unset_period_ms = self.unset_awake_ms = 0
        self.low_battery_mv = self.flash_full_pct = 0
        self.ios_reads_per_min = self.ble_sync_ms = self.long_press_ms = 0
        self._apply(PROFILES[DEFAULT_PROFILE])
        self._apply(_DEFAULTS)
        if data is not None:
            try:
                self._load(data)
            except (ValueError, TypeError, KeyError) as e:
                self.error = str(e) or type(e).__name__
                self.profile = DEFAULT_PROFILE
                self._apply(PROFILES[DEFAULT_PROFILE])
                self._apply(_DEFAULTS)

    def _apply(self, d):
        for k in d:
            setattr(self, k, d[k])

    def _load(self, data):
        if not isinstance(data, dict):
            raise ValueError("config is not a JSON object")
        self.raw = data
        tid = data.get("token_id")
        if tid is not None and not isinstance(tid, str):
            raise ValueError("token_id must be a string")
        self.token_id = tid
        self.board = data.get("board")
        prof = data.get("profile", DEFAULT_PROFILE)
        if prof not in PROFILES:
            raise ValueError("unknown profile %r" % (prof,))
        self.profile = prof
        self._apply(PROFILES[prof])
        for k in _LIMITS:
            if k in data:
                v = data[k]
                lo, hi = _LIMITS[k]
                if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                    raise ValueError("%s must be an integer in %d..%d" % (k, lo, hi))
                setattr(self, k, v)
        if self.scan_window_ms > self.scan_period_ms:
            raise ValueError("scan_window_ms exceeds scan_period_ms")
        if self.wake_period_ms and self.wake_window_ms >= self.wake_period_ms:
            raise ValueError("wake_window_ms must be shorter than wake_period_ms")
        if self.wake_period_ms and self.wake_window_ms + self.wake_lead_ms >= self.wake_period_ms:
            raise ValueError("wake_lead_ms leaves no time to sleep")
        if self.unset_awake_ms >= self.unset_period_ms:
            raise ValueError("unset_awake_ms must be shorter than unset_period_ms")

    @property
    def deep_sleep(self):
        return self.wake_period_ms > 0

    def as_dict(self):
        d = {"token_id": self.token_id, "profile": self.profile, "board": self.board}
        for k in _LIMITS:
            d[k] = getattr(self, k)
        return d


def load(path):
    """Config from a JSON file; a missing file gives the defaults, a bad one the defaults plus `error`."""
    try:
        f = open(path)
    except OSError:
        return Config()
    try:
        try:
            data = json.load(f)
        except ValueError:
            c = Config()
            c.error = "config is not valid JSON"
            return c
    finally:
        f.close()
    if data is None:  # a file holding `null`
        c = Config()
        c.error = "config is not a JSON object"
        return c
    return Config(data)
