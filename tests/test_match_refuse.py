"""Malformed exposure lists are refused whole through the CLI: exit 2, one line naming the file and where, no
traceback, nothing matched; at the station nothing of a refused list reaches the database."""

import json
import os
import subprocess
import sys

import pytest

K0 = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084"
E0 = {"daily_key": K0, "time_start": 1596844800, "max": 96, "time_end": 1596931200}
GOOD = json.dumps(E0)

BAD = {
    "garbage after the list": ('{"data": [' + GOOD + '], this is not json }', "line 1 column"),
    "time_start 1e30": (json.dumps({"data": [dict(E0, time_start=1e30)]}), "entry 0: time_start must be an integer"),
    "huge integer": ('{"data": [' + GOOD.replace("1596931200", "9" * 400) + "]}", "entry 0: time_end is out of range"),
    "negative": (json.dumps({"data": [dict(E0, time_start=-5)]}), "entry 0: time_start must not be negative"),
    "deep nesting": ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    "deep nesting inside an entry": ('{"data": [' + GOOD[:-1] + ', "x": ' + "[" * 200_000 + "]" * 200_000 + "}]}",
                                     "nested too deeply"),
    "wrong type": (json.dumps({"data": [dict(E0, max="96")]}), "entry 0: max must be an integer, got str"),
    "key as number": (json.dumps({"data": [dict(E0, daily_key=5)]}), "entry 0: daily_key must be a hex string"),
    "entry not an object": (json.dumps({"data": [E0, [1, 2]]}), "entry 1: an entry must be a JSON object"),
    "data not a list": (json.dumps({"data": 7}), "data must be a list"),
    "truncated": ('{"data": [' + GOOD, "ends early"),
    "empty": ("", "ends early"),
    "not UTF-8": (b'{"data": [\xff]}', "not a UTF-8"),
    "InfoF string broken": (json.dumps({"InfoF": '{"data": [' + GOOD + ", }"}), "the InfoF string: malformed JSON"),
    "bad second entry": (json.dumps({"data": [E0, dict(E0, time_start=1596844800 + 86400, max=7)]}),
                         "entry 1: max 7 does not divide"),
}


def _bztoken(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "host_tools", *args], capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), timeout=120)


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_list_exit_2_one_line_no_match(tmp_path, case):
    text, where = BAD[case]
    exp = tmp_path / "list.json"
    exp.write_bytes(text if isinstance(text, bytes) else text.encode())
    log = tmp_path / "trace.txt"
    # a log that the first entry WOULD match: nothing may be matched from a file that is not valid
    from bzfw import ids

    own = "AA" * 12
    log.write_text(f"{own}\t{ids.day_ids(bytes.fromhex(K0), 1)[0].hex()}\t-60\t{1596844800 * 1000 + 5}\n")
    r = _bztoken("match", "--exposures", str(exp), "--log", str(log), "--json")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stdout == ""
    first = r.stderr.strip().splitlines()[0]
    assert str(exp) in first and where in first, first


def test_a_good_list_next_to_a_bad_one_matches_nothing(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"data": [E0]}))
    bad.write_text('{"data": [' + GOOD + "] } trailing")
    log = tmp_path / "trace.txt"
    log.write_text(f"{'AA' * 12}\t{'BB' * 12}\t-60\t{1596844800 * 1000}\n")
    r = _bztoken("match", "--exposures", str(good), str(bad), "--log", str(log), "--json")
    assert r.returncode == 2 and r.stdout == "" and "bad.json" in r.stderr and "Traceback" not in r.stderr
    ok = _bztoken("match", "--exposures", str(good), "--log", str(log), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["exposures"]["entries"] == 1


@pytest.mark.parametrize("case", ["garbage after the list", "time_start 1e30", "huge integer", "deep nesting"])
def test_station_refuses_the_list_and_stores_nothing(tmp_path, case):
    from host_tools.errors import UsageError
    from host_tools.station import store
    from host_tools.station.service import Station

    text, where = BAD[case]
    st = Station(tmp_path / "station.db", "refuse-test-passphrase", usb=False, auto_sync=False)
    try:
        with pytest.raises(UsageError) as ei:
            st.import_list("list.json", text.encode() if isinstance(text, str) else text, "tester")
        assert where in str(ei.value) and ei.value.exit_code == 2
        assert store.lists(st.db) == [] and list(st.exposures_dir.iterdir()) == []  # nothing kept, nothing listed
        assert store.matches(st.db) == []
    finally:
        st.stop()
