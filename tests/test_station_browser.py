"""The station end to end in a real browser: Debian's headless Chromium driven by selenium through
chromium-driver (never a downloaded browser), against a virtual token (the real firmware on the MicroPython
unix port). A new token appears by itself, a wearer is registered to it, it hears a phone of a person later
reported positive, syncs, an exposure list is imported, and that wearer is flagged first with a printable
notice; the page switches to Vietnamese. Screenshots go to artifacts/station/."""

import contextlib
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from station_helpers import (
    POSITIVE_KEY,
    PW,
    TOKEN,
    cut_on_second_read,
    exposure_list,
    pty_token,
    registry,
    running_station,
)

from bzfw import adv, ids
from host_tools.station import i18n, matcher, store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("the station's browser tests need Debian's chromium and chromium-driver: "
                "apt-get install chromium chromium-driver", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium (the 'test' extra)")
virtual = pytest.importorskip("host_tools.virtual")

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# An awake token: tests here need it (the firmware's default profile sleeps, bzfw.config.DEFAULT_PROFILE).
ALWAYS_ON = {"profile": "always-on"}

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "station"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1000", "--lang=en-GB"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")  # selenium never phones home (the driver is given anyway)
    tmp_path = tmp_path_factory.mktemp("chromium")

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(30)
    try:
        yield d
    finally:
        d.quit()


def shot(d, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    p = ARTIFACTS / f"{name}.png"
    d.save_screenshot(str(p))
    return p


def until(d, fn, timeout=40, what=""):
    def guarded(drv):
        try:
            return fn(drv)
        except StaleElementReferenceException:
            return False  # the page re-rendered under us: look again

    try:
        return WebDriverWait(d, timeout, poll_frequency=0.1).until(guarded, message=what)
    except TimeoutException:
        shot(d, "failed-" + re.sub(r"\W+", "-", what))  # what the page showed instead
        raise


def css(d, sel):
    return d.find_elements(By.CSS_SELECTOR, sel)


def stable(fn, tries: int = 40):
    """fn() again while the page re-renders under it (the view is rebuilt when the station's state changes)."""
    for _ in range(tries):
        try:
            return fn()
        except StaleElementReferenceException:
            time.sleep(0.05)
    return fn()


def click(d, sel):
    stable(lambda: d.find_element(By.CSS_SELECTOR, sel).click())


def text_of(d, sel) -> str:
    return stable(lambda: d.find_element(By.CSS_SELECTOR, sel).text)


def attr_of(d, sel, name) -> str:
    return stable(lambda: d.find_element(By.CSS_SELECTOR, sel).get_attribute(name))


def fill(d, sel, text):
    for _ in range(20):
        try:
            el = d.find_element(By.CSS_SELECTOR, sel)
            el.clear()
            el.send_keys(text)
            return el
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError(f"could not fill {sel}")


def _count(db, action: str, field: str | None = None) -> int:
    """How many audit rows of this action (or the sum of a detail field over them)."""
    rows = [a for a in store.audit_log(db) if a["action"] == action]
    return sum(a["detail"].get(field) or 0 for a in rows) if field else len(rows)


def hear(vt, seconds: float) -> None:
    """A Bluezone phone of the positive person near the token: its IDs by the true (station) clock."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        cid = ids.daily_id_at(POSITIVE_KEY, int(time.time() * 1000))
        vt.inject(bytes([0xC0, 1, 2, 3, 4, 5]), adv.build(cid), -55)
        time.sleep(0.02)


GUIDE_SHOTS = Path(__file__).resolve().parents[1] / "docs" / "station-guide"
CATALOGUE = json.loads((Path(__file__).resolve().parents[1] / "host_tools/station/i18n.json").read_text("utf-8"))


def guide_shot(d, name: str) -> Path:
    """A screenshot the guide shows (docs/station-guide.md): always in artifacts/station/; copied into the guide
    when BZTOKEN_GUIDE_SHOTS=1 (make guide-shots), so the guide's pictures are this test's pictures."""
    p = shot(d, name)
    if os.environ.get("BZTOKEN_GUIDE_SHOTS") == "1":
        GUIDE_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, GUIDE_SHOTS / p.name)
    return p


def _pattern(text: str) -> str:
    return "".join(r"(.+?)" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{\w+\})", text))


VI_PATTERNS = sorted((_pattern(v) for v in CATALOGUE["vi"].values() if v.strip()), key=len, reverse=True)
EN_WORDS = {w.lower() for v in CATALOGUE["en"].values() for w in re.findall(r"[A-Za-z]{4,}", v)} - {
    w.lower() for v in CATALOGUE["vi"].values() for w in re.findall(r"[A-Za-z]{4,}", v)}


def assert_all_vietnamese(d, data: list[str]) -> None:
    """Every visible text of the page is a Vietnamese catalogue text (arguments filled) or data (names, IDs,
    numbers, dates): strip those, and no English word of the catalogue may be left."""
    text = text_of(d, "body")
    data = [*data, "English"]  # the language switch names each language in itself
    for v in sorted(data, key=len, reverse=True):
        text = text.replace(v, " ")
    for pat in VI_PATTERNS:
        text = re.sub(pat, " ", text)
    left = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}
    english = sorted(left & EN_WORDS)
    assert not english, f"English on a Vietnamese page: {english}; left over: {text.split()[:60]}"


def note_text(d, place: str) -> str:
    def read():
        els = [e for e in css(d, "[data-note]") if e.get_attribute("data-note") == place]
        return els[0].text if els else ""

    return stable(read)


def in_view(d, place: str) -> bool:
    """The note at `place` is on screen where the worker is looking (not scrolled away)."""
    return d.execute_script("const el = [...document.querySelectorAll('[data-note]')]"
                            ".find((e) => e.dataset.note === arguments[0]);"
                            "if (!el) return false; const r = el.getBoundingClientRect();"
                            "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;", place)


@contextlib.contextmanager
def first_run(db: Path, extra_port: str, passphrase: str):
    """`bztoken station` on a new database, on a terminal, as a health worker starts it the first time: the new
    passphrase typed twice when asked. Yields the page's URL; stopped with SIGTERM (exit 0) at the end."""
    import pty
    import select
    import signal
    import sys

    pid, fd = pty.fork()
    if pid == 0:
        os.environ["BZTOKEN_PASSPHRASE"] = ""
        os.execv(sys.executable, [sys.executable, "-m", "host_tools", "station", "--db", str(db), "--http-port", "0",
                                  "--no-usb", "--extra-port", extra_port, "--timeout", "0.5",
                                  "--profile", "always-on"])  # its tokens must hear and answer at once
    got = b""

    def until_seen(want: bytes, timeout=90.0) -> bytes:
        nonlocal got
        end = time.monotonic() + timeout
        while want not in got:
            assert time.monotonic() < end, f"never saw {want!r}: {got[-400:]!r}"
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"the station ended: {got[-400:]!r}"
                got += chunk
        return got

    try:
        until_seen("Mật khẩu trạm mới".encode())
        assert "bảo vệ khóa bí mật".encode() in got  # what it protects, in Vietnamese first
        os.write(fd, passphrase.encode() + b"\n")
        until_seen("Nhập lại mật khẩu".encode())
        os.write(fd, passphrase.encode() + b"\n")
        url = re.search(rb"station on (http://127\.0\.0\.1:\d+/)", until_seen(b"(database")).group(1).decode()

        def drain():  # the station's log must not fill the terminal's buffer
            with contextlib.suppress(OSError):
                while os.read(fd, 4096):
                    pass

        threading.Thread(target=drain, daemon=True).start()
        yield url
    finally:
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0


def test_token_appears_syncs_and_the_exposed_wearer_is_flagged(browser, tmp_path):
    d = browser
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    d.delete_all_cookies()
    db = tmp_path / "station.db"
    vdir = tmp_path / "vt"
    with first_run(db, str(vdir / "*" / "port"), PW) as base:  # a new station, started at a terminal
        d.get(base)
        d.execute_script("localStorage.removeItem('bzlang')")
        d.get(base)
        # a new station's page opens in Vietnamese; a wrong passphrase is refused where it was typed
        until(d, lambda d: d.find_element(By.ID, "login").is_displayed(), what="login form")
        assert d.find_element(By.CSS_SELECTOR, "header h1").text == "Trạm đồng bộ thẻ"
        fill(d, "#login-who", "Chị Lan")
        fill(d, "#login-pass", "wrong")
        d.find_element(By.ID, "login-go").click()
        until(d, lambda d: note_text(d, "login") == "Sai mật khẩu.", what="refusal shown at the form")
        assert not d.find_element(By.ID, "nav").is_displayed()
        guide_shot(d, "01-login")
        fill(d, "#login-pass", PW)
        d.find_element(By.ID, "login-go").click()
        until(d, lambda d: d.find_element(By.ID, "nav").is_displayed(), what="logged in")
        until(d, lambda d: css(d, "#exposed") and css(d, "#ports"), what="station page")

        # settings: the station's name and phone, for its notices
        d.get(base + "#settings")
        until(d, lambda d: css(d, "#settings input[name=station_name]"), what="settings page")
        fill(d, "#settings input[name=station_name]", "Trạm Y tế Phường 5")
        fill(d, "#settings input[name=station_phone]", "028 3855 1234")
        d.find_element(By.CSS_SELECTOR, "#settings button").click()
        until(d, lambda d: note_text(d, "settings") == "Đã lưu.", what="settings saved")
        assert_all_vietnamese(d, ["Trạm Y tế Phường 5", "028 3855 1234", "Chị Lan"])
        guide_shot(d, "02-settings")

        # the BLE search says what it found, where the button is, and it stays through the re-renders
        d.get(base + "#station")
        until(d, lambda d: css(d, "#ble-scan"), what="station page")
        d.find_element(By.ID, "ble-scan").click()
        until(d, lambda d: note_text(d, "ble") not in ("", "Đang tìm trong khoảng 5 giây…"), what="BLE result")
        ble = note_text(d, "ble")
        assert ble in ("Không có BLE", "Không tìm thấy thẻ nào ở chế độ đồng bộ.") or ble.startswith("Tìm thấy"), ble
        time.sleep(2.5)  # two re-renders of the view later, the result is still shown
        assert note_text(d, "ble") == ble

        # a new token is plugged in: it appears by itself
        # always-on: it scans 5 s of every 50 s token time
        with virtual.VirtualToken(vdir / "t1", name="T1", speed=30, config=ALWAYS_ON) as vt:
            row = f"tr.port[data-port='{vt.port}']"
            until(d, lambda d: css(d, row + "[data-state='unprovisioned'] form.register"), what="new token shown")
            assert text_of(d, row + " td.who").startswith("Thẻ mới")
            guide_shot(d, "03-new-token")
            # a wearer without a name is refused right at the form
            d.execute_script("const i = document.querySelector(arguments[0]); i.value = '';"
                             "i.removeAttribute('required'); i.form.requestSubmit();",
                             row + " form.register input[name=name]")
            until(d, lambda d: note_text(d, "register:" + vt.port) == "Cần nhập tên người đeo.", what="inline error")
            assert in_view(d, "register:" + vt.port)
            fill(d, row + " form.register input[name=name]", "Nguyễn Thị Hoa")
            fill(d, row + " form.register input[name=ref]", "W-9")
            click(d, row + " form.register button")
            until(d, lambda d: css(d, row + "[data-state='synced']"), what="provisioned and synced")
            token_id = attr_of(d, row, "data-token")
            assert re.fullmatch(r"BZ-[0-9A-Z-]+", token_id)  # drawn by provisioning
            # the plugged-in row shows whose token it is
            assert text_of(d, row + " td.who b.wearer") == "Nguyễn Thị Hoa"

            # it hears the phone of a person later reported positive, then is synced again
            pulled = re.compile(r"[1-9]\d* bản ghi \(\d+ mới\)")
            for _attempt in range(3):  # a loaded machine may let the token miss a scan window: hear again
                hear(vt, 4.0)
                syncs = _count(db, "sync")
                until(d, lambda d: css(d, row + " button.sync"), what="sync button")
                click(d, row + " button.sync")
                until(d, lambda d, n=syncs: _count(db, "sync") > n and css(d, row + "[data-state='synced']"),
                      what="second sync")
                if _count(db, "sync", "records") > 0:
                    break
            until(d, lambda d: pulled.match(d.find_element(By.CSS_SELECTOR, row + " td.msg").text),
                  what="records pulled")
            assert attr_of(d, row + " progress", "value") == "1"
            guide_shot(d, "04-synced")

            # an exposure list: a broken file is refused right under the file input, a good one imported
            (tmp_path / "hong.json").write_text("{not json")
            lst = tmp_path / "f0-list.json"
            lst.write_text(json.dumps(exposure_list(int(time.time() * 1000))))
            d.get(base + "#lists")
            until(d, lambda d: css(d, "#list-file"), what="lists page")
            d.find_element(By.ID, "list-file").send_keys(str(tmp_path / "hong.json"))
            until(d, lambda d: note_text(d, "lists").startswith("Tệp hong.json bị từ chối"), what="list refused")
            d.find_element(By.ID, "list-file").send_keys(str(lst))
            until(d, lambda d: note_text(d, "lists") == "Đã nhập f0-list.json: 1 mục.", what="list imported")
            assert_all_vietnamese(d, ["f0-list.json", "Chị Lan"])
            guide_shot(d, "05-lists")

            # the exposed wearer is flagged first, with a risk level, when and how long
            d.get(base + "#station")
            flagged = "#exposed tr.exposed[data-wearer='W-9']"
            until(d, lambda d: css(d, flagged), what="wearer flagged")
            text = text_of(d, flagged)
            assert "Nguyễn Thị Hoa" in text and token_id in text
            risk = attr_of(d, flagged + " span.risk", "data-risk")
            assert risk in ("low", "medium", "high")
            # what the flag rests on, in plain Vietnamese: the scoring's near-minutes against its threshold, the
            # time span, and the minutes per distance bucket behind it (the station's numbers, as stored)
            (_l, _t, _e, scored), = matcher.current_exposures(db)
            near = i18n.number(scored["near_min"], "vi")
            assert text_of(d, flagged + " .near-est") == f"ước tính {near} phút ở gần (≤ 2 m); ngưỡng 15 phút"
            assert (risk == "high") == (scored["near_min"] >= 15)
            buckets = text_of(d, flagged + " .near-buckets")
            assert buckets.startswith("Theo khoảng cách: rất gần (≤ 1,4 m) ") and "hơi xa (2–3,3 m)" in buckets
            got = {e.get_attribute("data-bucket"): float(e.get_attribute("data-min"))
                   for e in css(d, flagged + " .near-buckets span.bucket")}
            assert got == {k: v / 60 for k, v in scored["buckets_s"].items()}
            assert text_of(d, flagged + " td.span").startswith("từ ") and " đến " in text_of(d, flagged + " td.span")
            assert_all_vietnamese(d, ["Nguyễn Thị Hoa", "W-9", token_id, vt.port, "Chị Lan"])
            guide_shot(d, "06-flagged")

            # the token's page: battery in percent, free space in MB
            d.get(base + "#token/" + token_id)
            until(d, lambda d: css(d, "#token-page #tk-battery"), what="token page")
            assert text_of(d, "#tk-wearer").startswith("Nguyễn Thị Hoa")
            assert re.fullmatch(r"\d{1,3} %", text_of(d, "#tk-battery"))
            assert re.fullmatch(r"\d+(\.\d)? MB", text_of(d, "#tk-free"))
            assert re.fullmatch(r"[+-]\d+\.\d giây", text_of(d, "#tk-drift"))
            # the days the token holds a log for, as its last status said (2 when its fast clock crossed midnight)
            days = store.token_states(db)[token_id]["status"]["days"]
            assert days in (1, 2) and text_of(d, "#tk-days") == str(days)
            assert_all_vietnamese(d, ["Nguyễn Thị Hoa", "W-9", token_id, "Chị Lan"])
            guide_shot(d, "07-token")

            # the printable notice follows the page's language and names the station
            d.get(base + "#station")
            until(d, lambda d: css(d, flagged + " a.notice-link"), what="notice link")
            href = attr_of(d, flagged + " a.notice-link", "href")
            assert href.endswith("?lang=vi")
            d.get(href)
            body = d.find_element(By.TAG_NAME, "body").text
            assert "Thông báo tiếp xúc" in body and "Nguyễn Thị Hoa" in body
            assert text_of(d, "#near-est") == f"ước tính {near} phút ở gần (≤ 2 m); ngưỡng 15 phút"
            assert d.find_element(By.ID, "station-contact").text == (
                "Cần hỏi thêm: Trạm Y tế Phường 5, điện thoại 028 3855 1234")
            assert_all_vietnamese(d, ["Nguyễn Thị Hoa", "W-9", token_id, "Trạm Y tế Phường 5", "UTC"])
            guide_shot(d, "08-notice")

            # the audit log, in Vietnamese: actions and details
            d.get(base + "#audit")
            until(d, lambda d: css(d, "#audit tbody tr"), what="audit page")
            audit = d.find_element(By.ID, "audit").text
            assert "đăng ký người đeo" in audit and "nhập danh sách tiếp xúc" in audit and "Chị Lan" in audit
            assert_all_vietnamese(d, ["Nguyễn Thị Hoa", "W-9", token_id, vt.port, "Chị Lan", "f0-list.json",
                                      "hong.json", "Trạm Y tế Phường 5", "127.0.0.1"])
            guide_shot(d, "09-audit")

            # and in English, the same page reads in English
            d.find_element(By.CSS_SELECTOR, "button.lang[data-lang='en']").click()
            until(d, lambda d: "wearer registered" in d.find_element(By.ID, "audit").text, what="English audit")
            d.get(base + "#station")
            until(d, lambda d: text_of(d, "#exposed h2") == "Wearers with a match", what="English station page")
            assert text_of(d, row + " td.msg").endswith("new)") and text_of(d, "header h1") == "Token sync station"
            assert text_of(d, flagged + " .near-est") == (
                f"estimated {i18n.number(scored['near_min'], 'en')} min near (≤ 2 m); threshold 15 min")
            assert text_of(d, flagged + " .near-buckets").startswith("By distance: very close (≤ 1.4 m) ")
            guide_shot(d, "13-station-en")
            d.find_element(By.CSS_SELECTOR, "button.lang[data-lang='vi']").click()
    acts = [(a["who"], a["action"]) for a in store.audit_log(db)]
    assert ("Chị Lan", "provision") in acts and ("Chị Lan", "list_import") in acts
    assert ("Chị Lan", "login_failed") in acts and ("station", "token_plugged") in acts


def test_export_feedback_where_the_worker_clicked(browser, tmp_path):
    d = browser
    db = tmp_path / "station.db"
    registry(db)
    with pty_token(tmp_path / "tok") as tok, \
            running_station(db, extra_ports=[tok.port], export_wait_s=20) as (st, port):
        base = f"http://127.0.0.1:{port}/"
        d.get(base)
        until(d, lambda d: css(d, "#login-who"), what="page")
        d.delete_all_cookies()
        d.execute_script("localStorage.setItem('bzlang', 'vi')")
        d.get(base)
        until(d, lambda d: d.find_element(By.ID, "login").is_displayed(), what="login form")
        fill(d, "#login-who", "Anh Minh")
        fill(d, "#login-pass", PW)
        d.find_element(By.ID, "login-go").click()
        row = f"tr.port[data-port='{tok.port}']"
        until(d, lambda d: css(d, row + "[data-state='synced']"), what="synced")
        tok.ctx.keystore.key_for(int(time.time() // 86400))  # today's key (the export covers the last 14 days)
        d.get(base + "#token/" + TOKEN)
        until(d, lambda d: css(d, "#export-go"), what="export form")
        # without the typed confirmation: refused right under the button, in view
        click(d, "#export-go")
        until(d, lambda d: note_text(d, "export:" + TOKEN) == "Để xác nhận, hãy nhập đúng mã thẻ.",
              what="export refusal at the form")
        assert in_view(d, "export:" + TOKEN)
        fill(d, "#export input[name=confirm]", TOKEN)
        click(d, "#export-go")
        # the prompt to press the button appears here, on this page, next to the form
        until(d, lambda d: css(d, "#export-status p.press"), what="press prompt on the export card")
        assert text_of(d, "#export-status p.press") == "Hãy bấm nút trên thẻ ngay"
        assert note_text(d, "export:" + TOKEN) == "Đã yêu cầu xuất khóa: làm theo hướng dẫn bên dưới."
        assert_all_vietnamese(d, ["Nguyễn Văn An", "W-1", TOKEN, "Anh Minh"])
        guide_shot(d, "10-export-press")
        until(d, lambda d: tok.server._confirm_at is not None, what="token waits for its button")
        tok.ctx.presses = 1  # the wearer presses it
        until(d, lambda d: css(d, "#export-status a.export-link"), what="download link on the export card")
        assert "Đã xuất xong" in text_of(d, "#export-status")
        guide_shot(d, "11-export-done")
    assert _count(db, "export") == 1


def test_a_sync_cut_half_way_shows_a_clear_message_and_loses_nothing(browser, tmp_path):
    d = browser
    db = tmp_path / "station.db"
    registry(db)
    with pty_token(tmp_path / "tok", others=199) as tok, running_station(db, extra_ports=[tok.port]) as (st, port):
        base = f"http://127.0.0.1:{port}/"
        cut_on_second_read(tok)
        d.get(base)
        until(d, lambda d: css(d, "#login-who"), what="page")
        d.delete_all_cookies()
        d.execute_script("localStorage.setItem('bzlang', 'vi')")
        d.get(base)
        until(d, lambda d: d.find_element(By.ID, "login").is_displayed(), what="login form")
        fill(d, "#login-who", "Anh Minh")
        fill(d, "#login-pass", PW)
        d.find_element(By.ID, "login-go").click()
        row = f"tr.port[data-port='{tok.port}']"
        until(d, lambda d: css(d, row + "[data-state='failed']"), what="sync failed")
        msg = d.find_element(By.CSS_SELECTOR, row + " td.msg").text
        assert msg == ("Mất kết nối giữa chừng: 85 bản ghi đã đọc được lưu lại, không mất gì. "
                       "Hãy cắm lại thẻ để hoàn tất."), msg
        title = d.find_element(By.CSS_SELECTOR, row + " td.msg").get_attribute("title")
        assert "85 records read were stored" in title  # the technical detail, in English
        guide_shot(d, "12-sync-cut")
    # plugged in again: it resumes, nothing lost, nothing twice
    with pty_token(tmp_path / "tok", with_records=False) as tok2, \
            running_station(db, extra_ports=[tok2.port]) as (st, port):
        d.get(f"http://127.0.0.1:{port}/")
        until(d, lambda d: d.find_element(By.ID, "login").is_displayed(), what="login again (new station run)")
        fill(d, "#login-who", "Anh Minh")
        fill(d, "#login-pass", PW)
        d.find_element(By.ID, "login-go").click()
        row = f"tr.port[data-port='{tok2.port}']"
        until(d, lambda d: css(d, row + "[data-state='synced']"), what="resumed")
        assert d.find_element(By.CSS_SELECTOR, row + " td.msg").text == "115 bản ghi (115 mới)"
        shot(d, "14-sync-resumed")
    assert TOKEN in {r["token_id"] for r in store.token_states(db).values()}
