"""The station end to end in a real browser: Debian's headless Chromium driven by selenium through
chromium-driver (never a downloaded browser), against a virtual token (the real firmware on the MicroPython
unix port). A new token appears by itself, a wearer is registered to it, it hears a phone of a person later
reported positive, syncs, an exposure list is imported, and that wearer is flagged first with a printable
notice; the page switches to Vietnamese. Screenshots go to artifacts/station/."""

import json
import os
import re
import shutil
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
from host_tools.station import store
from provisioning.registry import Registry

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


def test_token_appears_syncs_and_the_exposed_wearer_is_flagged(browser, tmp_path):
    d = browser
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    d.delete_all_cookies()
    db = tmp_path / "station.db"
    Registry(db, PW, kdf_n=2**10).close()
    vdir = tmp_path / "vt"
    with running_station(db, extra_ports=[str(vdir / "*" / "port")]) as (st, port):
        base = f"http://127.0.0.1:{port}/"
        d.get(base)
        # refused without the passphrase: the login form, and a wrong passphrase says so
        until(d, lambda d: d.find_element(By.ID, "login").is_displayed(), what="login form")
        d.find_element(By.CSS_SELECTOR, "button.lang[data-lang='en']").click()
        fill(d, "#login-who", "Chị Lan")
        fill(d, "#login-pass", "wrong")
        d.find_element(By.ID, "login-go").click()
        until(d, lambda d: "Wrong passphrase" in d.find_element(By.ID, "flash").text, what="refusal shown")
        assert not d.find_element(By.ID, "nav").is_displayed()
        shot(d, "01-login-refused")
        fill(d, "#login-pass", PW)
        d.find_element(By.ID, "login-go").click()
        until(d, lambda d: d.find_element(By.ID, "nav").is_displayed(), what="logged in")
        until(d, lambda d: css(d, "#exposed") and css(d, "#ports"), what="station page")

        # a new token is plugged in: it appears by itself
        with virtual.VirtualToken(vdir / "t1", name="T1", speed=30) as vt:  # scans 5 s of every 50 s token time
            row = f"tr.port[data-port='{vt.port}']"
            until(d, lambda d: css(d, row + "[data-state='unprovisioned'] form.register"), what="new token shown")
            shot(d, "02-new-token")
            fill(d, row + " form.register input[name=name]", "Nguyễn Thị Hoa")
            fill(d, row + " form.register input[name=ref]", "W-9")
            d.find_element(By.CSS_SELECTOR, row + " form.register button").click()
            until(d, lambda d: css(d, row + "[data-state='synced']"), what="provisioned and synced")
            token_id = d.find_element(By.CSS_SELECTOR, row).get_attribute("data-token")
            assert re.fullmatch(r"BZ-[0-9A-Z-]+", token_id)  # drawn by provisioning

            # it hears the phone of a person later reported positive, then is synced again
            pulled = re.compile(r"[1-9]\d* records \(\d+ new\)")
            for _attempt in range(3):  # a loaded machine may let the token miss a scan window: hear again
                hear(vt, 4.0)
                syncs = _count(db, "sync")
                until(d, lambda d: css(d, row + " button.sync"), what="sync button")
                d.find_element(By.CSS_SELECTOR, row + " button.sync").click()
                until(d, lambda d, n=syncs: _count(db, "sync") > n and css(d, row + "[data-state='synced']"),
                      what="second sync")
                if _count(db, "sync", "records") > 0:
                    break
            until(d, lambda d: pulled.match(d.find_element(By.CSS_SELECTOR, row + " td.msg").text),
                  what="records pulled")
            assert css(d, row + " progress")[0].get_attribute("value") == "1"
            shot(d, "03-synced")

            # the exposure list is imported from a file
            lst = tmp_path / "f0-list.json"
            lst.write_text(json.dumps(exposure_list(int(time.time() * 1000))))
            d.get(base + "#lists")
            until(d, lambda d: css(d, "#list-file"), what="lists page")
            d.find_element(By.ID, "list-file").send_keys(str(lst))
            until(d, lambda d: "f0-list.json" in d.find_element(By.ID, "flash").text, what="list imported")

            # the exposed wearer is flagged first, with a risk level, when and how long
            d.get(base + "#station")
            flagged = "#exposed tr.exposed[data-wearer='W-9']"
            until(d, lambda d: css(d, flagged), what="wearer flagged")
            text = d.find_element(By.CSS_SELECTOR, flagged).text
            assert "Nguyễn Thị Hoa" in text and token_id in text
            risk = d.find_element(By.CSS_SELECTOR, flagged + " span.risk").get_attribute("data-risk")
            assert risk in ("low", "medium", "high")
            shot(d, "04-exposed-flagged")

            # the token's page
            d.get(base + "#token/" + token_id)
            until(d, lambda d: css(d, "#token-page #tk-battery"), what="token page")
            assert d.find_element(By.ID, "tk-wearer").text.startswith("Nguyễn Thị Hoa")
            assert re.fullmatch(r"[+-]\d+\.\d s", d.find_element(By.ID, "tk-drift").text)
            assert d.find_element(By.ID, "tk-days").text == "1"
            assert d.find_element(By.ID, "tk-sync").text != "never"
            shot(d, "05-token-page")

            # Vietnamese
            d.get(base + "#station")
            d.find_element(By.CSS_SELECTOR, "button.lang[data-lang='vi']").click()
            until(d, lambda d: "Người đeo có tiếp xúc" in d.find_element(By.CSS_SELECTOR, "#exposed h2").text,
                  what="Vietnamese")
            assert d.find_element(By.CSS_SELECTOR, "header h1").text == "Trạm đồng bộ thẻ"
            assert re.match(r"[1-9]\d* bản ghi", d.find_element(By.CSS_SELECTOR, row + " td.msg").text)
            shot(d, "06-exposed-vi")

            # the printable notice, in Vietnamese
            href = d.find_element(By.CSS_SELECTOR, flagged + " a.notice-link").get_attribute("href")
            d.get(href)
            body = d.find_element(By.TAG_NAME, "body").text
            assert "Thông báo tiếp xúc" in body and "Nguyễn Thị Hoa" in body
            shot(d, "07-notice-vi")

            # the other pages, in Vietnamese: tokens, exposure lists, audit log (who did what)
            d.get(base + "#tokens")
            until(d, lambda d: css(d, f"tr[data-token='{token_id}']"), what="tokens page")
            shot(d, "08-tokens-vi")
            d.get(base + "#lists")
            until(d, lambda d: "f0-list.json" in d.find_element(By.ID, "view").text, what="lists page")
            shot(d, "09-lists-vi")
            d.get(base + "#audit")
            until(d, lambda d: css(d, "#audit tbody tr"), what="audit page")
            audit = d.find_element(By.ID, "audit").text
            assert "provision" in audit and "list_import" in audit and "Chị Lan" in audit
            shot(d, "10-audit-vi")
    acts = [(a["who"], a["action"]) for a in store.audit_log(db)]
    assert ("Chị Lan", "provision") in acts and ("Chị Lan", "list_import") in acts
    assert ("Chị Lan", "login_failed") in acts and ("station", "token_plugged") in acts


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
        shot(d, "11-sync-cut-vi")
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
        shot(d, "12-sync-resumed-vi")
    assert TOKEN in {r["token_id"] for r in store.token_states(db).values()}
