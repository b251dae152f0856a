# RED-Aes developer entry points. `make demo` and `make test` are the README Quickstart.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements-lock.txt

.PHONY: install system-deps demo test lint bench lock lock-upgrade clean

# Installs exactly the locked set (pinned, hash-checked), then this checkout editable without resolving
# anything, so a fresh machine gets what the suite last passed with, whatever the registry released since.
$(STAMP): $(LOCK) pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium + chromedriver for the browser test (Debian/Ubuntu; skipped where already present).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1; then \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "chromium not found and apt-get unavailable: browser test will be skipped"; fi; \
	fi

demo: install
	$(PY) app.py

# The suite runs on every core (pytest-xdist, at most 4 workers; tests/conftest.py gives each worker its
# share of torch threads). It includes tests/test_wheel.py: scripts/wheel_check.sh builds the wheel,
# installs it in a new venv (on the locked set installed here) and runs the first commands from a folder
# outside the checkout.
test: install system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -ra -n auto --maxprocesses=4

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install
	$(PY) benchmarks/run_all.py

# Re-compile the lock after editing pyproject.toml or requirements.in (keeps every other pin).
lock: install
	scripts/lock.sh

# Move the whole lock forward on purpose: newest releases, reinstall, run the suite, show what changed.
lock-upgrade: install
	cp $(LOCK) $(VENV)/lock.before
	scripts/lock.sh --upgrade
	@echo "Changed pins (before -> after):"
	@diff <(grep -E '^[a-z0-9].*==' $(VENV)/lock.before | cut -d' ' -f1) \
		<(grep -E '^[a-z0-9].*==' $(LOCK) | cut -d' ' -f1) || true
	$(MAKE) test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
