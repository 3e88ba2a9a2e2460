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
from pathlib import Path

from host_tools.errors import BzError, UsageError
from host_tools.progress import ProgressFn, no_progress
from provisioning import secrets
from provisioning.registry import Registry, check_token_id, new_token_id, now_ms

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


def read_csv(text: str, where: str = "CSV") -> list[WearerRow]:
    """Wearer rows from CSV text with a header line; every problem is reported before anything is done."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise UsageError(f"{where}: empty")
    header = [h.strip().lower() for h in rows[0]]
    if "name" not in header:
        raise UsageError(f"{where}: the header line needs a 'name' column", hint="columns: " + ", ".join(CSV_COLUMNS))
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise UsageError(f"{where}: unknown column {unknown[0]!r}", hint="columns: " + ", ".join(CSV_COLUMNS))
    out: list[WearerRow] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise UsageError(f"{where} line {n}: {len(row)} fields, the header has {len(header)}")
        d = {h: (row[i].strip() if i < len(row) else "") or None for i, h in enumerate(header)}
        if not d.get("name"):
            raise UsageError(f"{where} line {n}: no name")
        ref = d.get("ref") or d["name"]
        if ref in seen:
            raise UsageError(f"{where} line {n}: wearer {ref!r} already on line {seen[ref]}",
                             hint="give people with the same name distinct 'ref' values")
        seen[ref] = n
        if d.get("token_id"):
            check_token_id(d["token_id"])
        out.append(WearerRow(name=d["name"], ref=ref, phone=d.get("phone"), note=d.get("note"), port=d.get("port"),
                             board=d.get("board"), profile=d.get("profile"), token_id=d.get("token_id"), line=n))
    if not out:
        raise UsageError(f"{where}: no wearers")
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
    profile = w.profile or profile or "always-on"
    config: dict = {"profile": profile}
    if board:
        config["board"] = board
    from bzfw import config as fwconfig

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
            from host_tools.sync.pull import sync_clock

            sync_clock(client, db, token_id, clock_set=False, clock=clock_ms)
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
) -> BatchResult:
    """Provision every row; failures are recorded and the batch goes on. `port` serves rows without one;
    `before_each(row, port)` runs before a token is contacted (e.g. "plug in the next token")."""
    missing = [r for r in rows if not (r.port or port)]
    if missing:
        raise UsageError(f"line {missing[0].line}: no port for {missing[0].ref}", hint="add a 'port' column or --port")
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
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: {getattr(e, 'strerror', None) or e}") from e
    return read_csv(text, path)
