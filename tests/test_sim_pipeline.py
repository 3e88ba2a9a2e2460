"""The whole chain on a small community: provision, simulate, pull over the sync protocol, export, match, score."""

import json

from host_tools.cli import main
from host_tools.sim import pipeline, scenario
from host_tools.stationdb import StationDB


def classroom(**top):
    data = {
        "name": "pair",
        "date": "2026-03-02",
        "utc_offset_h": 7,
        "start": "08:00",
        "end": "09:00",
        "seed": 3,
        "places": [{"name": "room", "rect": [0, 0, 4, 1.5], "seat_spacing": 1.0},
                   {"name": "other-room", "rect": [200, 0, 10, 10]}],
        "groups": [
            {"name": "desk", "size": 2, "devices": {"token": 2},
             "schedule": [{"from": "08:00", "to": "09:00", "at": "room", "move": "seated"}]},
            {"name": "phones", "size": 2, "devices": {"android": 1, "ios": 1},
             "schedule": [{"from": "08:00", "to": "09:00", "at": "room", "move": "seated"}]},
            {"name": "away", "size": 2, "devices": {"token": 2},
             "schedule": [{"from": "08:00", "to": "09:00", "at": "other-room", "move": "seated"}]},
        ],
        "positive": "desk#0",
    }
    data.update(top)
    return scenario.parse(data, "pair")


def test_a_wearer_always_next_to_the_positive_one_is_found(tmp_path):
    sc = classroom()
    res = pipeline.run(sc, tmp_path)
    named = res.named
    assert named["positive"] == "desk#0"
    assert "desk#1" in named["true_contacts"]
    for ts in ("bluezone-strict", "scored-any", "scored-medium"):
        assert "desk#1" in named["found"][ts], ts
    # the two far away are neither contacts nor found
    for ts, found in named["found"].items():
        assert not {"away#0", "away#1"} & set(found), ts
    # every token was pulled over the sync protocol into the station database, with its drift measured
    with StationDB(tmp_path / "station.db") as db:
        n = db.con.execute("SELECT COUNT(*) FROM encounters").fetchone()[0]
        assert n == sum(p["records"] for p in res.pulls) > 0
        assert {r[0] for r in db.con.execute("SELECT DISTINCT token_id FROM encounters")} == {
            t.token_id for t in res.sim.tokens if t.pid.startswith("desk")} | {
            t.token_id for t in res.sim.tokens if t.pid.startswith("away")}
        assert all(len(db.syncs(t.token_id)) == 2 for t in res.sim.tokens)  # provisioning, pull
    # provisioning wrote the token's own files; the secret never appears in the report
    root = res.sim.tokens[0].root
    assert (root / "secret").stat().st_size == 32
    assert json.loads((root / "config.json").read_text())["profile"] == "always-on"
    assert (root / "secret").read_bytes().hex() not in json.dumps(res.to_json()).lower()
    s = res.scores["bluezone-strict"]
    assert s.tp >= 2 and s.recall == 1.0  # both desk tokens find each other


def test_profile_variant_is_provisioned_as_firmware_config(tmp_path):
    res = pipeline.run(classroom(), tmp_path, profile="eco-4s-60", all_positive=False)
    cfg = json.loads((res.sim.tokens[0].root / "config.json").read_text())
    assert cfg == {"token_id": "SIM-DESK-000", "profile": "eco", "scan_window_ms": 4000, "scan_period_ms": 60000,
                   "wake_window_ms": 6000, "wake_period_ms": 60000}
    assert res.positives == [res.sim.tokens[0].idx]


def test_cli_sim_writes_report_and_json(tmp_path, capsys):
    f = tmp_path / "pair.json"
    data = json.loads(json.dumps({"name": "pair", "date": "2026-03-02", "start": "08:00", "end": "08:40",
                                  "seed": 1, "places": [{"name": "room", "rect": [0, 0, 4, 1.5]}],
                                  "groups": [{"name": "d", "size": 2, "devices": {"token": 2},
                                              "schedule": [{"from": "08:00", "to": "08:40", "at": "room"}]}]}))
    f.write_text(json.dumps(data))
    out = tmp_path / "out"
    rc = main(["sim", "--scenario", str(f), "--out", str(out), "--jobs", "1", "--json",
               "--profile", "always-on", "--profile", "eco"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["profile"] for r in doc["runs"]] == ["always-on", "eco"]
    assert doc["runs"][0]["scores"]["bluezone-strict"]["recall"] == 1.0
    assert doc["runs"][1]["battery"]["esp32c3"] > doc["runs"][0]["battery"]["esp32c3"]
    assert (out / "report.html").read_text().count("<tr>") == 3
    assert (out / "detection_vs_battery.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_sim_bad_input_is_one_line(tmp_path, capsys):
    f = tmp_path / "bad.json"
    f.write_text('{"name": "x", "date": "2026-03-02", "places": [], "groups": []}')
    assert main(["sim", "--scenario", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bztoken: bad.json: places:") and "Traceback" not in err
    assert main(["sim", "--scenario", "no-such-scenario"]) == 2
    assert main(["sim", "--scenario", "school-day", "--profile", "turbo"]) == 2
    err = capsys.readouterr().err
    assert "unknown token profile 'turbo'" in err
