"""Provisioning tokens over the sync protocol, one or a batch, resumable.

For one token: the wearer is recorded; the token says hello (a token provisioned by someone else is refused
here); the token ID and secret are drawn and stored in the registry as `pending` BEFORE the token hears of
them (a crash then never loses a secret a token may hold); the token gets them with its config through the
protocol's `provision` command (accepted only while it has no secret); the station then authenticates with
the new secret (proving the token holds it), sets the token's clock and marks the token `provisioned`. A rerun
finds a pending token and finishes it with the same ID and secret.

A batch is a CSV of wearers; a failed token never stops it; a wearer who already has a provisioned token is
skipped without touching a port, so rerunning the same CSV does only what is left.
"""

import csv
import io
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from host_tools.errors import BzError, UsageError
from host_tools.progress import ProgressFn, no_progress
from provisioning import secrets
from provisioning.registry import MAX_TEXT, TOKEN_ID_RE, Registry, check_text, new_token_id, now_ms

CSV_COLUMNS = ("name", "ref", "phone", "note", "port", "board", "profile", "token_id")


@dataclass
class WearerRow:
    name: str
    ref: str
    phone: str | None = None
    note: str | None = None
    port: str | None = None
    board: str | None = None
    profile: str | None = None
    token_id: str | None = None
    line: int = 0
    problems: list[str] = field(default_factory=list)  # what the reader found wrong (check_rows reports it)


@dataclass
class Outcome:
    ref: str
    name: str
    status: str  # provisioned | skipped | failed
    token_id: str | None = None
    port: str | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def as_dict(self) -> dict:
        return {"provisioned": self.count("provisioned"), "skipped": self.count("skipped"),
                "failed": self.count("failed"), "tokens": [asdict(o) for o in self.outcomes]}


def open_client(port: str, timeout: float = 2.0, wake_wait: float | None = None):
    """A sync-protocol client on a serial port (host_tools.sync); `timeout`: seconds per answer. Its first
    hello waits up to `wake_wait` s for a sleeping (eco) token (default: host_tools.sync.wake.default_wait_s(),
    $BZTOKEN_WAKE_WAIT), showing a line on a terminal."""
    from host_tools.sync import wake
    from host_tools.sync.client import SyncClient
    from host_tools.sync.transport import open_transport

    wait = wake.default_wait_s() if wake_wait is None else wake_wait
    return SyncClient(open_transport(port, lazy=wait > 0), timeout=timeout, wake_wait=wait,
                      on_wait=wake.status_line())


MAX_CSV_BYTES = 16 << 20  # a station's list of wearers: thousands of lines, not gigabytes
MAX_ROWS = 100_000


def _field_problem(value: str | None, fname: str, limit: int) -> str | None:
    try:
        check_text(value, fname, limit, required=False, lines=fname == "note")
    except UsageError as e:
        return str(e)
    return None


def row_problems(r: WearerRow, *, port: str | None = None, board: str | None = None,
                 profile: str | None = None, port_needed: bool = True) -> list[str]:
    """Everything wrong with one wearer row, checked without the registry or a port (empty when fine):
    name, ref and free-text sizes and characters, board, profile, token ID, a port and its URL scheme."""
    from bzfw import config as fwconfig
    from host_tools import portnames

    out = []
    if not (r.name or "").strip():
        out.append("no name")
    for fname in ("name", "ref", "phone", "note", "board", "profile"):
        msg = _field_problem(getattr(r, fname), fname, MAX_TEXT[fname])
        if msg:
            out.append(msg)
    if r.port is not None and (len(r.port) > 256 or _field_problem(r.port, "port", 256)):
        out.append("port: not a port name")
    if r.token_id is not None and not (isinstance(r.token_id, str) and TOKEN_ID_RE.match(r.token_id)):
        out.append(f"bad token ID {r.token_id[:40]!r} (3-32 characters: A-Z, 0-9 and '-')")
    b = r.board or board
    if b and not any(m.startswith("board:") for m in out):
        msg = _board_problem(b)
        if msg:
            out.append(msg)
    prof = r.profile or profile
    if prof and prof not in fwconfig.PROFILES and len(prof) <= MAX_TEXT["profile"]:
        out.append(f"unknown profile {prof!r} (one of: {', '.join(fwconfig.PROFILES)})")
    p = r.port or port
    if port_needed and not p:
        out.append(f"no port for {r.ref}")
    elif p and not any(m.startswith("port:") for m in out):
        try:
            portnames.check_scheme(p, "port")
        except UsageError as e:
            out.append(str(e))
    return out


_BOARDS: dict[str, str | None] = {}


def _board_problem(name: str) -> str | None:
    """None when `name` is a board definition in hardware/boards (schema-checked), else why not."""
    if name not in _BOARDS:
        from host_tools.flash import boards

        if "/" in name or "\\" in name or name.endswith(".json"):
            _BOARDS[name] = f"board: a board name, not a path ({name[:40]!r})"
        else:  # the source tree's hardware/boards, or the copy an installed package carries
            try:
                boards.load(name)
                _BOARDS[name] = None
            except UsageError as e:
                _BOARDS[name] = str(e) + (f" (one of: {', '.join(boards.names())})" if "unknown" in str(e) else "")
    return _BOARDS[name]


def check_rows(rows: list[WearerRow], *, port: str | None = None, board: str | None = None,
               profile: str | None = None, reg: Registry | None = None, where: str = "CSV",
               port_needed: bool = True) -> None:
    """Refuse the whole batch (UsageError, exit 2, one line per bad row) unless every row is good; with `reg`
    also against the registry: a token ID that is someone else's, a ref registered under another name.
    Nothing is written and no port is opened here."""
    bad: list[str] = []
    seen_ref: dict[str, int] = {}
    seen_tid: dict[str, int] = {}
    for r in rows:
        probs = list(r.problems) + row_problems(r, port=port, board=board, profile=profile, port_needed=port_needed)
        if r.ref in seen_ref:
            probs.append(f"wearer {r.ref!r} already on line {seen_ref[r.ref]} "
                         "(give people with the same name distinct 'ref' values)")
        else:
            seen_ref[r.ref] = r.line
        if r.token_id:
            if r.token_id in seen_tid:
                probs.append(f"token ID {r.token_id} already on line {seen_tid[r.token_id]}")
            else:
                seen_tid[r.token_id] = r.line
        if reg is not None and not probs:
            w = reg.wearer(r.ref)
            if w is not None and w["name"] != r.name:
                probs.append(f"ref {r.ref!r} is registered for {w['name']!r}, not {r.name!r}")
            if r.token_id:
                t = reg.token(r.token_id)
                if t is not None and t["wearer_ref"] != r.ref:
                    probs.append(f"token {r.token_id} is already registered"
                                 + (f" to {t['wearer_ref']!r}" if t["wearer_ref"] else ""))
        if probs:
            label = f"{where} line {r.line}: " if r.line else (f"{where}: " if where else "")
            bad.append(label + "; ".join(p[:200] for p in probs))
    if len(bad) == 1 and len(rows) == 1:
        raise UsageError(bad[0])
    if bad:
        n = len(bad)
        summary = f"{where}: {n} bad row{'s' if n > 1 else ''} of {len(rows)}; nothing was done"
        raise UsageError("\n".join(bad[:50] + ([f"... and {n - 50} more"] if n > 50 else []) + [summary]),
                         hint="fix these rows and run the same command again")


def read_csv(text: str, where: str = "CSV") -> list[WearerRow]:
    """Wearer rows from CSV text with a header line. Structural problems (no header, unknown columns) are
    refused at once; every row is then checked (check_rows, without registry or port) and the whole file is
    refused with one line per bad row. Fields of any size are read (and refused by size), never a csv error."""
    if not text.strip():
        raise UsageError(f"{where}: empty")
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, len(text) + 1))  # our own limits say which field is too big
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # a stray quote is an error
        rows = []
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > MAX_ROWS + 1:
                raise UsageError(f"{where}: more than {MAX_ROWS} rows", hint="split the list into several files")
    except csv.Error as e:
        raise UsageError(f"{where} line {reader.line_num}: {e}") from None
    finally:
        csv.field_size_limit(old_limit)
    header = [h.strip().lower() for h in rows[0][1]]
    if "name" not in header:
        raise UsageError(f"{where}: the header line needs a 'name' column", hint="columns: " + ", ".join(CSV_COLUMNS))
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise UsageError(f"{where}: unknown column {unknown[0][:40]!r}", hint="columns: " + ", ".join(CSV_COLUMNS))
    if len(set(header)) != len(header):
        raise UsageError(f"{where}: a column appears twice in the header line")
    out: list[WearerRow] = []
    for n, row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        d = {h: (row[i].strip() if i < len(row) else "") or None for i, h in enumerate(header)}
        w = WearerRow(name=d.get("name") or "", ref=d.get("ref") or d.get("name") or "", phone=d.get("phone"),
                      note=d.get("note"), port=d.get("port"), board=d.get("board"), profile=d.get("profile"),
                      token_id=d.get("token_id"), line=n)
        if len(row) > len(header):
            w.problems.append(f"{len(row)} fields, the header has {len(header)}")
        out.append(w)
    if not out:
        raise UsageError(f"{where}: no wearers")
    check_rows(out, where=where, port_needed=False)
    return out


def provision_one(
    reg: Registry,
    w: WearerRow,
    port: str,
    *,
    board: str | None = None,
    profile: str | None = None,
    connect: Callable = open_client,
    clock_ms: Callable[[], int] = now_ms,
    another: bool = False,
    db=None,
) -> Outcome:
    """Provision the token on `port` for wearer `w`. Raises BzError subclasses on failure (nothing is
    recorded as provisioned then; a pending token is finished by the next attempt). `db`: a
    host_tools.stationdb.StationDB where the clock setting is recorded as the token's first sync (the start
    of its drift correction)."""
    t0 = time.monotonic()
    wid = reg.add_wearer(w.name, w.ref, w.phone, w.note)
    mine = reg.tokens_of(wid)
    done = [t for t in mine if t["status"] == "provisioned"]
    if done and not another:
        return Outcome(w.ref, w.name, "skipped", done[-1]["token_id"], port)
    board = w.board or board
    from bzfw import config as fwconfig

    profile = w.profile or profile or fwconfig.DEFAULT_PROFILE
    config: dict = {"profile": profile}
    if board:
        config["board"] = board

    bad = fwconfig.Config(dict(config, token_id=w.token_id or "BZ-CHECK")).error
    if bad:
        raise UsageError(f"config for {w.ref}: {bad}")
    pending = [t for t in mine if t["status"] == "pending"]
    client = connect(port)
    try:
        info = client.hello()
        if pending:
            token_id = pending[-1]["token_id"]
            secret = reg.secret_for(token_id)
        elif info.get("provisioned"):
            token_id, secret = "", b""  # refused below, before anything is drawn or stored
        else:
            token_id = w.token_id or new_token_id()
            while not w.token_id and reg.token(token_id) is not None:  # drawn before: draw again
                token_id = new_token_id()
            secret = secrets.new_secret()
            reg.add_token(token_id, secret, wid, board, profile)  # stored before the token hears of it
        if info.get("provisioned"):
            if info.get("token_id") != token_id:
                raise BzError(f"the token on {port} is already provisioned as {info.get('token_id')}",
                              hint="use a fresh token, or pull and wipe this one: "
                                   f"bztoken wipe --port {port} --all --yes")
            # our own earlier attempt got through before the station stopped: prove it and finish
        else:
            client.provision(token_id, secret, config)
            info = client.hello()
            if not info.get("provisioned") or info.get("token_id") != token_id:
                raise BzError(f"the token on {port} did not take the provisioning (it reports {info.get('token_id')})")
        client.auth(secret)
        if db is not None:
            from host_tools.sync.pull import sync_clock, token_rate

            # A token synced at this station before (an interrupted provisioning run again, a token back for
            # another go) has a clock the station set: its offset is drift, and the rate measured from the last
            # sync recorded is sent now, by the pull's own rule (host_tools.sync.clockrate.new_rate). A new token
            # gets the time; the rate it reports in force is recorded, so its first pull can measure one.
            known = db.last_sync(token_id) is not None
            sync_clock(client, db, token_id, clock_set=known and bool(info.get("clock_set")), clock=clock_ms,
                       rate_ppb=token_rate(info))
        else:
            client.time_set(clock_ms())
        try:
            client.bye()
        except BzError:
            pass  # the work is done; a lost goodbye only delays the token's return to normal work
    finally:
        t = getattr(client, "t", None)
        if t is not None:
            t.close()
    reg.mark_provisioned(token_id, fw=str(info.get("fw")) if info.get("fw") is not None else None)
    return Outcome(w.ref, w.name, "provisioned", token_id, port, seconds=time.monotonic() - t0)


def run_batch(
    reg: Registry,
    rows: list[WearerRow],
    *,
    port: str | None = None,
    board: str | None = None,
    profile: str | None = None,
    connect: Callable = open_client,
    progress: ProgressFn = no_progress,
    before_each: Callable[[WearerRow, str], None] | None = None,
    db=None,
    where: str = "CSV",
) -> BatchResult:
    """Provision every row; failures are recorded and the batch goes on. `port` serves rows without one;
    `before_each(row, port)` runs before a token is contacted (e.g. "plug in the next token"). Every row is
    checked first (check_rows, with the registry): one bad row refuses the batch before any port is opened."""
    check_rows(rows, port=port, board=board, profile=profile, reg=reg, where=where)
    res = BatchResult()
    for i, r in enumerate(rows):
        progress(i, len(rows), r.ref)
        p = r.port or port or ""
        wid = reg.wearer(r.ref)
        if wid is not None:
            done = [t for t in reg.tokens_of(wid["id"]) if t["status"] == "provisioned"]
            if done:  # a rerun: never touch the port
                res.outcomes.append(Outcome(r.ref, r.name, "skipped", done[-1]["token_id"], p))
                continue
        try:
            if before_each is not None:
                before_each(r, p)
            res.outcomes.append(provision_one(reg, r, p, board=board, profile=profile, connect=connect, db=db))
        except (BzError, OSError, ValueError) as e:
            pending = [t["token_id"] for t in reg.tokens_of(reg.add_wearer(r.name, r.ref)) if t["status"] == "pending"]
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            res.outcomes.append(Outcome(r.ref, r.name, "failed", pending[-1] if pending else None, p, msg))
    progress(len(rows), len(rows), "done")
    return res


def read_csv_file(path: str) -> list[WearerRow]:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CSV_BYTES + 1)
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
    if len(raw) > MAX_CSV_BYTES:
        raise UsageError(f"{path}: larger than {MAX_CSV_BYTES >> 20} MiB", hint="split the list into several files")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise UsageError(f"{path} line {line}: not UTF-8 (byte 0x{raw[e.start]:02X})",
                         hint="save the list as CSV UTF-8") from None
    return read_csv(text, path)
