"""The station's work, independent of the web: tokens appearing on serial ports and synced by themselves,
exposure lists imported and matched, wearers and tokens managed, every action audited.

Threads: one poller finds ports (host_tools.station.ports) and watches the exposure folder; each new port gets
a worker thread that syncs it (hello, status, then host_tools.sync.pull.pull: authenticate, set the clock,
pull, confirm). A port is used by one thing at a time (its lock): a sync, a provisioning or an export.
Secrets are fetched from the registry only inside those workers and never leave them."""

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from host_tools import battery
from host_tools.errors import AuthError, BzError, LinkError, UsageError
from host_tools.station import ports as portscan
from host_tools.station import store
from host_tools.station.i18n import StationError

log = logging.getLogger("bztoken.station")

FLASH_NEARLY_FULL = 0.10  # warn below this fraction of the log area free
DRIFT_WARN_MS = 60_000  # a clock this far off loses slot boundaries (15 min slots, 30 s match tolerance)
KEEP_GONE_S = 600  # an unplugged port's last state stays visible this long
MAX_EXPORT_DAYS = 21
BLE_PREFIX = "ble:"  # a token found by a BLE scan, synced over GATT (host_tools.ble.transport)


@dataclass
class PortState:
    port: str
    state: str = "detected"  # detected | syncing | synced | unprovisioned | failed | busy
    progress: float = 0.0
    message: str = ""
    token_id: str | None = None
    present: bool = True
    gone_at: float = 0.0
    summary: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    export_file: str | None = None
    msg_key: str = ""  # the page translates messages by key (i18n.json "m_*"); `message` is the English text
    msg_args: dict = field(default_factory=dict)

    def say(self, state: str | None, key: str, text: str, **args) -> None:
        if state is not None:
            self.state = state
        self.msg_key, self.msg_args, self.message = key, args, text

    def view(self) -> dict:
        return {"port": self.port, "state": self.state, "progress": round(self.progress, 3),
                "message": self.message, "msg_key": self.msg_key, "msg_args": self.msg_args,
                "token_id": self.token_id, "present": self.present, "summary": self.summary,
                "export_file": self.export_file}


def _safe_summary(s: dict) -> dict:
    """What the UI shows of a pull (plain numbers and IDs: a pull summary never holds a secret anyway)."""
    c = s.get("clock") or {}
    return {"records": s.get("records"), "new_rows": s.get("new_rows"), "duplicates": s.get("duplicates"),
            "bad_records": s.get("bad_records"), "days": len(s.get("days") or []), "elapsed_s": s.get("elapsed_s"),
            "clock_offset_ms": c.get("offset_ms"), "clock_residual_ms": c.get("residual_ms")}


def _waking_row(ps: PortState):
    """The wake-wait callback of a port's worker: its row says "waiting for the token to wake" while the first
    hello knocks, then shows again what it said before."""
    before: list = []

    def on_wait(waited: float, limit: float, what: str) -> None:
        if what not in ("silent", "gone"):  # awake (or stopped: the worker then says why)
            if before:
                ps.msg_key, ps.msg_args, ps.message = before.pop()
            return
        if not before:
            before.append((ps.msg_key, ps.msg_args, ps.message))
        ps.say(None, "m_waking", f"waiting for the token to wake ({waited:.0f} of {limit:.0f} s)",
               waited=int(waited), limit=int(limit), port_gone=what == "gone")

    return on_wait


def warnings_for(status: dict, clock_offset_ms: int | None = None) -> list[str]:
    """Warning keys (translated by the UI) for a token's last status."""
    out = []
    if status.get("clock_set") is False:
        out.append("warn_clock_not_set")
    free = status.get("free_bytes")
    total = (status.get("log_bytes") or 0) + (free or 0)
    if free is not None and total and free < FLASH_NEARLY_FULL * total:
        out.append("warn_flash_full")
    pct = battery.percent(status.get("battery_mv"))
    if pct is not None and pct < battery.LOW_PCT:
        out.append("warn_battery_low")
    if clock_offset_ms is not None and abs(clock_offset_ms) > DRIFT_WARN_MS:
        out.append("warn_clock_drift")
    if status.get("config_error"):
        out.append("warn_config")
    return out


def near_buckets() -> list[dict]:
    """The scoring's attenuation buckets as a health worker reads them: name, the distances they stand for
    (from_m: None for the first, to_m: None for the last) and whether their time counts as near
    (host_tools/match/calibration.json: the one source)."""
    from host_tools.match import calibration

    _edges, names, weights = calibration.buckets()
    dist = calibration.bucket_distances_m()
    return [{"name": n, "from_m": dist[i - 1] if i else None, "to_m": dist[i] if i < len(dist) else None,
             "counted": weights[i] > 0} for i, n in enumerate(names)]


def buckets_min(buckets_s: str | None) -> dict | None:
    """{bucket: minutes} from the scoring's {bucket: seconds} as stored (JSON; its bins are 30 s: halves are
    exact)."""
    return None if not buckets_s else {k: v / 60 for k, v in json.loads(buckets_s).items()}


class Station:
    def __init__(self, db_path: str | Path, passphrase: str, *, extra_ports: list[str] | None = None,
                 usb: bool = True, exposures_dir: str | Path | None = None, data_dir: str | Path | None = None,
                 poll_s: float = 0.5, serial_timeout: float = 2.0, auto_sync: bool = True, export_wait_s: float = 30,
                 ble_scan_s: float = 5.0, wake_wait_s: float | None = None, profile: str | None = None):
        self.db = Path(db_path)
        self.profile = profile  # tokens registered here get it (None: the firmware's DEFAULT_PROFILE)
        self._passphrase = passphrase
        self._key: bytes | None = None  # the registry's, derived from the passphrase once (registry())
        self.extra_ports = list(extra_ports or [])
        self.usb = usb
        self.data_dir = Path(data_dir) if data_dir else self.db.parent / "station"
        self.exposures_dir = Path(exposures_dir) if exposures_dir else self.data_dir / "exposure-lists"
        self.exports_dir = self.data_dir / "diagnosis-exports"
        self.poll_s = poll_s
        self.serial_timeout = serial_timeout
        self.auto_sync = auto_sync
        self.export_wait_s = export_wait_s
        self.ports: dict[str, PortState] = {}
        self.bad_lists: dict[str, str] = {}  # file name -> why it was refused (watched folder)
        self._lock = threading.Lock()
        self._match_lock = threading.Lock()
        self._lists_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.ble_scan_s = ble_scan_s
        self.list_check_s = 600.0  # a list's check in its own process (half a million entries: seconds)
        from host_tools.sync import wake

        # a sleeping (eco) token answers within its longest sleep: the first hello keeps trying that long
        self.wake_wait_s = wake.default_wait_s() if wake_wait_s is None else wake_wait_s
        store.init(self.db)
        from host_tools import dbfiles

        dbfiles.private_dir(self.data_dir)  # 0700: positive wearers' keys are exported here
        self.exposures_dir.mkdir(parents=True, exist_ok=True)
        dbfiles.private_dir(self.exports_dir)
        # The registry tables exist (and the passphrase is checked) before anyone logs in.
        self.registry(secrets=True).close()
        from host_tools.stationdb import StationDB

        StationDB(self.db).close()
        from host_tools.station.matcher import Matcher

        # matching runs in its own process, incrementally (host_tools.station.matcher)
        self.matcher = Matcher(self.db, on_result=self._matched)

    # -- plumbing ----------------------------------------------------------------------------------
    def registry(self, secrets: bool = False):
        """The registry; with `secrets`, unlocked by the key derived once at start (one scrypt per station run, not
        one per sync: 128 MiB each, ten tokens syncing at once would need more than a gigabyte)."""
        from provisioning.registry import Registry

        if not secrets:
            return Registry(self.db, None)
        if self._key is None:
            reg = Registry(self.db, self._passphrase)
            self._key = reg.key
            return reg
        return Registry(self.db, None, key=self._key)

    def check_passphrase(self, given: str) -> bool:
        import hmac

        return hmac.compare_digest(given.encode(), self._passphrase.encode())

    def audit(self, who: str, action: str, target: str | None = None, **detail) -> None:
        store.audit(self.db, who, action, target, **detail)

    def start(self) -> None:
        t = threading.Thread(target=self._poll_loop, name="station-poll", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self.matcher.close()

    def _poll_loop(self) -> None:
        last_lists = 0.0
        while not self._stop.is_set():
            try:
                self.poll_ports()
                if time.monotonic() - last_lists > 2.0:
                    last_lists = time.monotonic()
                    self.scan_exposure_folder()
            except Exception as e:  # a poller that dies silently would hide every token: log it and go on
                log.error("polling failed: %s: %s", type(e).__name__, e)
            self._stop.wait(self.poll_s)

    # -- ports -------------------------------------------------------------------------------------
    def poll_ports(self) -> None:
        present = set(portscan.discover(self.extra_ports, self.usb))
        now = time.monotonic()
        new = []
        with self._lock:
            for p in present:
                ps = self.ports.get(p)
                if ps is not None and not ps.present and ps.lock.locked():
                    ps.present = True  # back while its worker waits: an eco token's USB port sleeps with it
                    continue
                if ps is None or not ps.present:
                    self.ports[p] = ps = PortState(p)
                    new.append(ps)
            for p, ps in list(self.ports.items()):
                if p.startswith(BLE_PREFIX) and ps.present:
                    continue  # found by a BLE scan, not by the poller: it leaves once synced
                if p not in present and ps.present:
                    ps.present, ps.gone_at = False, now
                elif not ps.present and now - ps.gone_at > KEEP_GONE_S:
                    del self.ports[p]
        for ps in new:
            self.audit("station", "token_plugged", ps.port)
            if self.auto_sync:
                self._spawn(self.sync_port, ps.port, "station")

    def _spawn(self, fn, *args) -> None:
        t = threading.Thread(target=self._guard, args=(fn, *args), name=f"station-{fn.__name__}", daemon=True)
        t.start()

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as e:  # a bug: one line in the station's log; the port's state still shows
            log.error("%s failed: %s: %s", fn.__name__, type(e).__name__, str(e).splitlines()[0] if str(e) else "")

    def port_views(self) -> list[dict]:
        with self._lock:
            return [ps.view() for ps in sorted(self.ports.values(), key=lambda p: p.port)]

    def _port(self, port: str) -> PortState:
        with self._lock:
            ps = self.ports.get(port)
        if ps is None or not ps.present:
            raise StationError("e_no_port", "h_plug_in", port=port)
        return ps

    def _client(self, port: str, ps: PortState | None = None):
        from host_tools.sync.client import SyncClient
        from host_tools.sync.transport import open_transport

        if port.startswith(BLE_PREFIX):
            from host_tools.ble.transport import BleTransport

            return SyncClient(BleTransport(port[len(BLE_PREFIX):]), timeout=max(self.serial_timeout, 2.0))
        wait = self.wake_wait_s
        return SyncClient(open_transport(port, lazy=wait > 0), timeout=self.serial_timeout, wake_wait=wait,
                          on_wait=_waking_row(ps) if ps is not None else None)

    def sync_port(self, port: str, who: str) -> dict:
        """Hello, status, then the whole pull (authenticate, set the clock, pull, confirm); then re-match."""
        ps = self._port(port)
        if not ps.lock.acquire(blocking=False):
            raise StationError("e_busy", "h_wait_busy", port=port)
        try:
            return self._sync_locked(ps, who)
        except Exception as e:  # a bug must not leave the page showing "syncing" forever
            ps.say("failed", "m_failed", f"sync failed: {type(e).__name__}: {e}", error=f"{type(e).__name__}: {e}")
            raise
        finally:
            ps.lock.release()

    def _sync_locked(self, ps: PortState, who: str) -> dict:
        from host_tools.stationdb import StationDB
        from host_tools.sync.pull import pull

        ps.progress, ps.summary = 0.0, {}
        ps.say("syncing", "m_connecting", "connecting")
        client = None
        token_id = None
        try:
            client = self._client(ps.port, ps)
            info = client.hello()
            status = client.status()
            status.pop("nonce", None)
            token_id = status.get("token_id") or None
            ps.token_id = token_id
            if not info.get("provisioned"):
                ps.say("unprovisioned", "m_unprovisioned", "not provisioned: register a wearer to it")
                return {"state": ps.state}
            store.save_token_status(self.db, token_id, status)
            reg = self.registry(secrets=True)
            try:
                tok = reg.token(token_id)
                if tok is not None and tok["status"] == "retired":
                    ps.say("failed", "m_retired", f"token {token_id} is retired (reported lost)", token=token_id)
                    self.audit(who, "sync_refused_retired", token_id, port=ps.port)
                    return {"state": ps.state}

                def progress(done: int, total: int, _what: str = "") -> None:
                    ps.progress = done / total if total else 1.0
                    ps.say(None, "m_bytes", f"{done} / {total} bytes", done=done, total=total)

                ps.say(None, "m_auth", "authenticating")
                with StationDB(self.db) as sdb:
                    s = pull(client, sdb, reg.secret_for, progress)
            finally:
                reg.close()
            ps.summary = _safe_summary(s)
            ps.progress = 1.0
            ps.say("synced", "m_records", f"{s['records']} records ({s['new_rows']} new)", records=s["records"],
                   new=s["new_rows"])
            store.save_token_status(self.db, token_id, status, synced=True, clock_offset_ms=s["clock"]["offset_ms"])
            self.audit(who, "sync", token_id, port=ps.port, **ps.summary)
        except (BzError, OSError, ValueError) as e:
            err = str(e).splitlines()[0] if str(e) else type(e).__name__
            if isinstance(e, AuthError):
                key, msg = "m_auth_failed", f"authentication failed: {err}"
            elif isinstance(e, LinkError | OSError):
                key = "m_link_lost"
                msg = f"connection lost: {err}" + ("" if "stored" in err else " (plug it in again to resume)")
            else:
                key, msg = "m_failed", f"sync failed: {err}"
            kept = re.search(r"\((\d+) records read were stored", err)  # host_tools.sync.pull's wording
            if kept:
                ps.say("failed", key + "_kept", msg, error=err, kept=int(kept.group(1)))
            else:
                ps.say("failed", key, msg, error=err)
            if token_id:
                with contextlib.suppress(Exception):
                    st = store.token_states(self.db).get(token_id, {}).get("status") or {}
                    store.save_token_status(self.db, token_id, st, error=msg)
            self.audit(who, "sync_failed", token_id or ps.port, port=ps.port, error=msg)
            return {"state": ps.state, "error": msg}
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.t.close()
            if ps.port.startswith(BLE_PREFIX):  # the token left sync mode: a new scan finds it again
                ps.present, ps.gone_at = False, time.monotonic()
        self.matcher.poke()  # the new pull is matched in the worker; the sync does not wait for it
        return {"state": ps.state, "summary": ps.summary}

    def resync(self, port: str, who: str) -> None:
        ps = self._port(port)
        if ps.lock.locked():
            raise StationError("e_busy", "h_wait_busy", port=port)
        self.audit(who, "sync_requested", port)
        self._spawn(self.sync_port, port, who)

    # -- wearers and tokens --------------------------------------------------------------------------
    def provision(self, port: str, name: str, ref: str | None, phone: str | None, who: str) -> dict:
        from host_tools.stationdb import StationDB
        from provisioning.batch import WearerRow, provision_one

        name = (name or "").strip()
        if not name:
            raise StationError("e_name_missing")
        ps = self._port(port)
        if not ps.lock.acquire(blocking=False):
            raise StationError("e_busy", "h_wait_busy", port=port)
        try:
            ps.say("busy", "m_provisioning", "provisioning")
            reg = self.registry(secrets=True)
            try:
                row = WearerRow(name=name, ref=(ref or "").strip() or name, phone=(phone or "").strip() or None)
                with StationDB(self.db) as sdb:
                    out = provision_one(reg, row, port, db=sdb, another=True, profile=self.profile,
                                        connect=lambda p: self._client(p, ps))
            except BzError as e:
                err = str(e).splitlines()[0]
                ps.say("failed", "m_provision_failed", f"provisioning failed: {err}", error=err)
                self.audit(who, "provision_failed", port, wearer=row.ref, error=err)
                raise StationError("e_provision_failed", detail=err) from None
            finally:
                reg.close()
            ps.token_id = out.token_id
            ps.say("detected", "m_provisioned", "provisioned")
            self.audit(who, "provision", out.token_id, wearer=row.ref, port=port)
        finally:
            ps.lock.release()
        self._spawn(self.sync_port, port, who)
        return {"token_id": out.token_id, "wearer": row.ref}

    def reassign(self, token_id: str, name: str, ref: str | None, who: str) -> dict:
        reg = self.registry()
        try:
            tok = reg.token(token_id)
            if tok is None:
                raise StationError("e_unknown_token", token=token_id)
            if tok["status"] == "retired":
                raise StationError("e_token_retired", token=token_id)
            wid = reg.add_wearer(name, ref or None)
            if wid == tok["wearer_id"]:
                raise StationError("e_already_wearer", token=token_id, wearer=tok["wearer_ref"])
            reg.reassign(token_id, wid)
            new = reg.token(token_id)
        finally:
            reg.close()
        store.add_reassignment(self.db, token_id, tok["wearer_id"], wid)
        self.audit(who, "reassign", token_id, from_wearer=tok["wearer_ref"], to_wearer=new["wearer_ref"])
        self._wait_matches(self.matcher.poke())  # the matches are shown again with the wearer of the time
        return {"token_id": token_id, "wearer": new["wearer_ref"]}

    def retire(self, token_id: str, who: str) -> dict:
        reg = self.registry()
        try:
            tok = reg.token(token_id)
            if tok is None:
                raise StationError("e_unknown_token", token=token_id)
            reg.retire(token_id)
        finally:
            reg.close()
        self.audit(who, "retire", token_id, wearer=tok["wearer_ref"])
        return {"token_id": token_id, "status": "retired"}

    def export_keys(self, port: str, day_from: int, day_to: int, confirm: str, who: str) -> None:
        """Diagnosis export of a positive wearer: only with the token ID typed again as confirmation; the
        token itself then waits for its button. Runs in the background; the port shows the outcome."""
        ps = self._port(port)
        if not ps.token_id:
            raise StationError("e_not_identified", port=port)
        if confirm != ps.token_id:
            self.audit(who, "export_not_confirmed", ps.token_id)
            raise StationError("e_export_confirm")
        if day_to < day_from or day_to - day_from + 1 > MAX_EXPORT_DAYS:
            raise StationError("e_export_days", days=MAX_EXPORT_DAYS)
        if ps.lock.locked():
            raise StationError("e_busy", "h_wait_busy", port=port)
        self.audit(who, "export_requested", ps.token_id, day_from=day_from, day_to=day_to)
        self._spawn(self._export, ps, day_from, day_to, who)

    def _export(self, ps: PortState, d0: int, d1: int, who: str) -> None:
        from host_tools.match.export import atomic_write_text
        from host_tools.match.exposures import keys_to_push_entries

        if not ps.lock.acquire(blocking=False):
            return
        client = None
        try:
            ps.export_file = None
            ps.say("busy", "press_button", "press the token's button now")
            client = self._client(ps.port, ps)
            info = client.hello()
            reg = self.registry(secrets=True)
            try:
                client.auth(reg.secret_for(info["token_id"]))
            finally:
                reg.close()
            keys = [(d, k) for d, k in client.keys(d0, d1, wait_s=self.export_wait_s) if d0 <= d <= d1]
            with contextlib.suppress(BzError):
                client.bye()
            if not keys:
                raise StationError("e_no_keys")
            import json

            name = f"{info['token_id']}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
            atomic_write_text(self.exports_dir / name, json.dumps(keys_to_push_entries(keys), indent=1) + "\n")
            os.chmod(self.exports_dir / name, 0o600)  # a positive wearer's keys: for the health authority only
            ps.export_file = name
            ps.say("synced", "export_done", "export ready")
            self.audit(who, "export", info["token_id"], days=len(keys), file=name)
        except (BzError, OSError, ValueError) as e:
            err = str(e).splitlines()[0]
            keyed = {"error_key": e.key, **e.args_} if isinstance(e, StationError) else {}
            ps.say("failed", "m_export_failed", f"export failed: {err}", error=err, **keyed)
            self.audit(who, "export_failed", ps.token_id, error=err, **keyed)
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.t.close()
            ps.lock.release()

    def export_path(self, name: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9-]+-\d{8}-\d{6}\.json", name):
            raise StationError("e_no_export", status=404)
        p = self.exports_dir / name
        if not p.is_file():
            raise StationError("e_no_export", status=404)
        return p

    # -- exposure lists --------------------------------------------------------------------------------
    def import_list(self, name: str, data: bytes, who: str) -> dict:
        """An uploaded list (bytes): see import_list_file."""
        import io

        return self.import_list_file(name, io.BytesIO(data), who)

    def import_list_file(self, name: str, src, who: str) -> dict:
        """An uploaded list from a binary file object, copied in 1 MiB chunks (never whole in memory) to a
        .part file in the exposure folder, checked whole, then renamed into place and matched."""

        base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or "list.json").name)[-80:] or "list.json"
        if not base.endswith(".json"):
            base += ".json"
        path = self.exposures_dir / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{base}"
        tmp = path.with_suffix(".part")
        digest = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
            n = self._check_list(tmp, name)
        except BzError as e:
            tmp.unlink(missing_ok=True)
            detail = str(e).splitlines()[0]
            self.audit(who, "list_refused", name, error=detail)
            raise StationError("e_list_refused", name=name, detail=detail) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        with self._lists_lock:  # the folder watcher must not take it for a dropped-in file
            tmp.replace(path)
            store.add_list(self.db, name, str(path), digest.hexdigest(), n, who)
        self.audit(who, "list_import", name, entries=n)
        self._wait_matches(self.matcher.poke())  # the new list against the stored logs of its days
        return {"name": name, "entries": n}

    def _check_list(self, path: Path, shown: str) -> int:
        """The list's entry count, checked whole in a child process (host_tools.station.listcheck: the parser's
        memory, hundreds of MB for a big list, is not kept by the station)."""
        import json
        import subprocess
        import sys

        try:
            r = subprocess.run([sys.executable, "-m", "host_tools.station.listcheck", str(path), shown],
                               capture_output=True, text=True, timeout=self.list_check_s)
        except subprocess.TimeoutExpired:
            raise UsageError(f"{shown}: not checked within {self.list_check_s:.0f} s") from None
        try:
            out = json.loads(r.stdout)
        except ValueError:
            err = (r.stderr.strip().splitlines() or ["no answer"])[-1]
            raise BzError(f"{shown}: the list check failed ({err})") from None
        if "error" in out:
            raise UsageError(out["error"], hint=out.get("hint"))
        return int(out["entries"])

    def scan_exposure_folder(self) -> None:
        with self._lists_lock:
            added = self._scan_folder_locked()
        if added:
            self.matcher.poke()

    def _scan_folder_locked(self) -> bool:
        known = {lst["path"] for lst in store.lists(self.db)}
        added = False
        for p in sorted(self.exposures_dir.glob("*.json")):
            if str(p) in known:
                continue
            key = f"{p.name}:{p.stat().st_mtime_ns}"
            if key in self.bad_lists:
                continue
            try:
                n = self._check_list(p, p.name)
            except BzError as e:
                self.bad_lists[key] = str(e)
                self.audit("station", "list_refused", p.name, error=str(e))
                continue
            store.add_list(self.db, p.name, str(p), hashlib.sha256(p.read_bytes()).hexdigest(), n, "station")
            self.audit("station", "list_import", p.name, entries=n, source="folder")
            added = True
        return added

    def recompute_matches(self) -> int:
        """The full re-match (every list against every stored log), in the matching worker; waits for it.
        Returns the match count."""
        t = self.matcher.poke("full")
        return self._wait_matches(t)

    def _wait_matches(self, ticket: int) -> int:
        if not self.matcher.wait(ticket):
            raise BzError("matching did not finish in time", hint="see the audit log; the station keeps matching")
        if self.matcher.last_error:
            raise BzError(f"matching failed: {self.matcher.last_error}")
        return int((self.matcher.last or {}).get("matches", 0))

    def _matched(self, res: dict | None, err: str | None) -> None:
        if err:
            self.audit("station", "match_failed", None, error=err)

    # -- views -----------------------------------------------------------------------------------------
    def state_view(self) -> dict:
        """Everything the station page shows, in one answer: ports (with the wearer of the token on each),
        tokens, wearers with a match, lists."""
        ports = self.port_views()
        tokens = self.tokens_view()
        by_id = {t["token_id"]: t for t in tokens}
        for p in ports:
            t = by_id.get(p["token_id"] or "")
            p["wearer_name"] = t["wearer_name"] if t else None
            p["wearer_ref"] = t["wearer_ref"] if t else None
        return {"ports": ports, "tokens": tokens, "exposed": self.exposed(), "buckets": near_buckets(),
                "lists": [{k: v for k, v in lst.items() if k != "path"} for lst in store.lists(self.db)],
                "bad_lists": self.bad_lists, "now_ms": int(time.time() * 1000)}

    def save_settings(self, values: dict, who: str) -> dict:
        clean = {}
        for k, limit in store.SETTINGS.items():
            if k in values:
                v = str(values[k] or "").strip()
                if len(v) > limit:
                    raise StationError("e_setting_long", setting=k, limit=limit)
                clean[k] = v
        store.save_settings(self.db, clean)
        self.audit(who, "settings", None, **clean)
        return store.settings(self.db)

    def exposed(self) -> list[dict]:
        """One line per wearer with a match, highest risk first (then most near-minutes, then longest seen)."""
        reg = self.registry()
        try:
            wearers = {w["id"]: w for w in reg.wearers()}
        finally:
            reg.close()
        out: dict = {}
        for m in store.matches(self.db):
            key = m["wearer_id"] if m["wearer_id"] is not None else f"token:{m['token_id']}"
            w = wearers.get(m["wearer_id"]) or {}
            item = out.setdefault(key, {"wearer_id": m["wearer_id"], "wearer_ref": w.get("ref"),
                                        "wearer_name": w.get("name"), "phone": w.get("phone"), "risk": m["risk"],
                                        "matches": []})
            item["matches"].append({**{k: m[k] for k in ("token_id", "risk", "proximity", "first_seen_ms",
                                                         "last_seen_ms", "duration_ms", "list_name", "near_min",
                                                         "near_threshold")},
                                    "buckets_min": buckets_min(m.get("buckets_s"))})
        return list(out.values())  # store.matches is sorted: each wearer's first match is its worst

    def tokens_view(self) -> list[dict]:
        reg = self.registry()
        try:
            toks = reg.tokens()
        finally:
            reg.close()
        states = store.token_states(self.db)
        counts = store.encounter_counts(self.db)
        out = []
        for t in toks:
            s = states.get(t["token_id"], {})
            st = s.get("status") or {}
            out.append({
                "token_id": t["token_id"], "status": t["status"], "wearer_ref": t["wearer_ref"],
                "wearer_name": t["wearer_name"], "board": t["board"], "profile": t["profile"], "fw": t["fw"],
                "last_seen_ms": s.get("seen_ms"), "last_sync_ms": s.get("synced_ms"),
                "clock_offset_ms": s.get("clock_offset_ms"), "last_error": s.get("last_error"),
                "battery_mv": st.get("battery_mv"), "battery_pct": battery.percent(st.get("battery_mv")),
                "free_bytes": st.get("free_bytes"),
                "log_bytes": st.get("log_bytes"), "log_days": st.get("days"), "clock_set": st.get("clock_set"),
                "encounters": counts.get(t["token_id"], 0),
                "warnings": warnings_for(st, s.get("clock_offset_ms")) if st else [],
            })
        return out

    def wearers_view(self) -> list[dict]:
        reg = self.registry()
        try:
            out = []
            for w in reg.wearers():
                toks = reg.tokens_of(w["id"])
                out.append({"id": w["id"], "ref": w["ref"], "name": w["name"], "phone": w["phone"],
                            "tokens": [{"token_id": t["token_id"], "status": t["status"]} for t in toks]})
            return out
        finally:
            reg.close()

    def wearer(self, wearer_id: int) -> dict | None:
        return next((w for w in self.wearers_view() if w["id"] == wearer_id), None)

    # -- BLE ---------------------------------------------------------------------------------------------
    def ble_scan(self, who: str) -> dict:
        """Tokens in BLE sync mode nearby (host_tools.ble); each found one is synced like a plugged-in token,
        on a port named `ble:ADDRESS`."""
        self.audit(who, "ble_scan")
        try:
            from host_tools.ble.scan import scan_tokens
        except ImportError as e:
            return {"available": False, "message": "ble_not_available", "detail": str(e), "tokens": []}
        try:
            found = scan_tokens(self.ble_scan_s)
        except BzError as e:  # no adapter, no permission, no BlueZ: the radio is simply not there
            return {"available": False, "message": "ble_not_available", "detail": str(e).splitlines()[0],
                    "tokens": []}
        out = []
        for f in found:
            port = "ble:" + f["address"]
            out.append({"address": f["address"], "rssi": f.get("rssi"), "port": port})
            with self._lock:
                ps = self.ports.get(port)
                fresh = ps is None or not ps.present
                if fresh:
                    self.ports[port] = PortState(port)
            if fresh:
                self.audit(who, "ble_found", port, rssi=f.get("rssi"))
                self._spawn(self.sync_port, port, who)
        return {"available": True, "message": "" if out else "ble_none", "tokens": out}
