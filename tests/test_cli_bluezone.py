"""`bztoken bluezone ...` and `bztoken demo`, called through main(argv) as a user would."""

import json

import pytest

from host_tools.cli import main

K0 = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084"


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_id_from_base_key_iso_and_ms(capsys):
    rc, out, _ = run(capsys, "bluezone", "id", "--base-key", K0, "--base-day", "2020-08-08",
                     "--at", "2020-08-08T05:56:31.387Z")
    assert (rc, out.strip()) == (0, "B9A665D754FE65E665D76A45")
    rc, out, _ = run(capsys, "bluezone", "id", "--base-key", K0, "--base-day", "2020-08-08", "--at", "1596869100153")
    assert (rc, out.strip()) == (0, "E376E0B409BCE18ECF5F2ED4")


def test_id_from_daily_key(capsys, vectors):
    d = vectors["chain"]["days"][3]
    rc, out, _ = run(capsys, "bluezone", "id", "--daily-key", d["daily_key"], "--at", "2020-08-04T13:37:05Z")
    assert (rc, out.strip()) == (0, "D34A7A98B6A0906D86A75CC3")


def test_adv_and_parse(capsys, vectors):
    rc, out, _ = run(capsys, "bluezone", "adv", "--id", "B9A665D754FE65E665D76A45")
    assert (rc, out.strip()) == (0, vectors["adverts"][0]["hex"])
    for a in vectors["adverts"]:
        rc, out, _ = run(capsys, "bluezone", "parse", a["hex"], "--json")
        assert rc == 0
        assert json.loads(out) == {"kind": a["kind"], "id": a["id"]}, a["name"]


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["bluezone", "id", "--daily-key", "zz", "--at", "0"], "not valid hex"),
        (["bluezone", "id", "--daily-key", "00" * 31, "--at", "0"], "must be 32 bytes"),
        (["bluezone", "id", "--base-key", K0, "--base-day", "2020-08-08", "--at", "2020-08-07T00:00:00Z"],
         "before the base day"),
        (["bluezone", "id", "--base-key", K0, "--at", "0"], "needs --base-day"),
        (["bluezone", "id", "--daily-key", K0, "--at", "yesterday"], "neither ISO-8601"),
        (["bluezone", "adv", "--id", "00"], "must be 12 bytes"),
        (["bluezone", "parse", "0g"], "not valid hex"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, needle):
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith("bztoken: ") and needle in first
    assert "Traceback" not in err


def test_demo_shows_an_advert_that_parses_back(capsys):
    rc, out, _ = run(capsys, "demo", "--at", "1596866191387")
    assert rc == 0
    assert "Parsed back: bluezone_android" in out
    assert "Current slot 23" in out
