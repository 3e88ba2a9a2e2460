"""A real token through the real CLI: status (hello and status), time get and set, a pull into a temporary
station database. Skipped unless pytest is given the token's port:

    pytest tests/test_hardware_token.py --port /dev/ttyACM0 --secret-file token.secret

The token must be provisioned and not in service: the pull confirms its records (the token may then drop them)
into a database that is thrown away, and `time --set` corrects its clock. Without --secret-file only the tests
that need no secret run. A virtual token (`bztoken virtual start`) stands in for one as well (tests/README.md).
"""

import json
import sqlite3
import subprocess
import sys

import pytest

from bzfw import wire
from host_tools.stationdb import StationDB

pytestmark = pytest.mark.hardware

SET_TOLERANCE_MS = 1000  # after time --set, beyond half the round trip (a token's RTC counts whole ms)


@pytest.fixture
def port(request) -> str:
    return request.config.getoption("--port")


@pytest.fixture
def secret_file(request) -> str:
    f = request.config.getoption("--secret-file")
    if not f:
        pytest.skip("needs the token's secret: --secret-file F (32 raw bytes or 64 hex digits)")
    return f


def bztoken(*argv: str) -> dict:
    """Run `bztoken ARGV --json` as a user would; its one JSON object."""
    r = subprocess.run([sys.executable, "-m", "host_tools", *argv, "--json"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, f"bztoken {' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}"
    assert not r.stderr.strip().startswith("Traceback"), r.stderr
    return json.loads(r.stdout)


def test_hello_and_status(port):
    st = bztoken("status", "--port", port)
    hello = st["hello"]
    assert hello["proto"] == st["proto"] == wire.VERSION
    assert "nonce" not in hello  # the session nonce is not the user's business
    assert st["provisioned"] is True and hello["provisioned"] is True, "provision the token first"
    assert st["token_id"] and st["token_id"] == hello["token_id"]
    assert isinstance(st["clock_set"], bool)
    assert st["free_bytes"] > 0
    assert 0 <= st["unconfirmed_bytes"] <= st["log_bytes"]
    assert st["days"] >= 0 and len(hello["days"]) == (2 if st["days"] else 0)
    assert st["config_error"] is None, f"the token's config is refused: {st['config_error']}"


def test_time_get(port):
    r = bztoken("time", "--port", port)
    assert r["rtt_ms"] >= 0
    assert r["token_ms"] - r["station_ms"] == r["offset_ms"]
    assert r["token_id"] == bztoken("status", "--port", port)["token_id"]


def test_time_set_is_recorded_and_holds(port, secret_file, tmp_path):
    db = tmp_path / "station.db"
    r = bztoken("time", "--port", port, "--set", "--db", str(db), "--secret-file", secret_file)
    assert abs(r["residual_ms"]) <= r["rtt_ms"] // 2 + SET_TOLERANCE_MS, r
    con = sqlite3.connect(db)
    rows = con.execute("SELECT token_id, offset_ms, rtt_ms, residual_ms FROM syncs").fetchall()
    assert rows == [(r["token_id"], r["offset_ms"], r["rtt_ms"], r["residual_ms"])]
    after = bztoken("time", "--port", port)
    assert abs(after["offset_ms"]) <= (r["rtt_ms"] + after["rtt_ms"]) // 2 + SET_TOLERANCE_MS, after
    assert bztoken("status", "--port", port)["clock_set"] is True


def test_pull_into_a_temporary_database(port, secret_file, tmp_path):
    db = tmp_path / "station.db"
    token_id = bztoken("status", "--port", port)["token_id"]
    first = bztoken("pull", "--port", port, "--db", str(db), "--secret-file", secret_file)
    assert first["token_id"] == token_id and first["status"] == "complete"
    assert first["bad_records"] == 0, first["bad"]
    assert first["records"] == first["new_rows"] + first["duplicates"] and first["duplicates"] == 0
    # What it confirmed is not sent again; anything the token logged meanwhile is new.
    second = bztoken("pull", "--port", port, "--db", str(db), "--secret-file", secret_file)
    assert second["status"] == "complete" and second["duplicates"] == 0
    con = sqlite3.connect(db)
    with StationDB(db) as sdb:
        stored = sdb.count_encounters(token_id)
        enc = [(r["contact_id"], r["raw_first_seen_ms"], r["raw_last_seen_ms"], r["count"]) for r in sdb.encounters()]
    assert stored == first["new_rows"] + second["new_rows"]
    pulls = con.execute("SELECT status, records, new_rows FROM pulls ORDER BY id").fetchall()
    assert pulls == [("complete", first["records"], first["new_rows"]),
                     ("complete", second["records"], second["new_rows"])]
    assert con.execute("SELECT COUNT(*) FROM syncs WHERE token_id = ?", (token_id,)).fetchone()[0] == 2
    for cid, first_ms, last_ms, count in enc:
        assert len(cid) == 12 and first_ms <= last_ms and count >= 1
