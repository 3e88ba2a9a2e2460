import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors" / "bluezone-v2.json"
BIN = Path(sys.executable).parent
MICROPYTHON = str(BIN / "micropython")

# make test-deep sets BZ_DEEP=1: large fuzz budgets there, quick ones in make test.
settings.register_profile("fast", max_examples=200, deadline=None)
settings.register_profile("deep", max_examples=20000, deadline=None)
settings.load_profile("deep" if os.environ.get("BZ_DEEP") else "fast")
DEEP = bool(os.environ.get("BZ_DEEP"))
# Tests of dead or pulled ports expect a quick failure, so the wake wait for sleeping tokens
# (host_tools/sync/wake.py) is off unless a test gives its own; set it for a real eco token.
os.environ.setdefault("BZTOKEN_WAKE_WAIT", "0")


def pytest_addoption(parser):
    parser.addoption("--port", metavar="URL", default=None,
                     help="pyserial URL of a real provisioned token (not in service: a pull confirms its records); "
                          "runs the tests marked hardware")
    parser.addoption("--secret-file", metavar="F", default=None,
                     help="that token's secret (32 raw bytes or 64 hex digits), for the hardware tests that log in")


def pytest_collection_modifyitems(config, items):
    # Tests that need hardware are marked and skipped unless a port is given (team guide).
    if config.getoption("--port"):
        return
    skip = pytest.mark.skip(reason="needs a real token: pytest --port URL --secret-file F (tests/README.md)")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def vectors():
    return json.loads(VECTORS.read_text())


def run_micropython(script: str, heap: str = "2m", timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a script on the MicroPython unix port with firmware/ and tests/firmware on its path."""
    env = dict(os.environ, MICROPYPATH=f"{ROOT / 'firmware'}:{ROOT / 'tests' / 'firmware'}")
    return subprocess.run(
        [MICROPYTHON, "-X", f"heapsize={heap}", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
