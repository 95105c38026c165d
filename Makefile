# The two commands of the README's quick start.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-any-day install lint

# uv installs in seconds what pip resolves in minutes; `make run` installs only what the bot
# needs, `make test` adds the test and benchmark tools.
UV_INSTALL := $(VENV)/bin/uv pip install -q --python $(PY)

$(VENV)/bin/uv:
	python3 -m venv $(VENV)
	$(PY) -m pip install -q uv

$(VENV)/installed-run: pyproject.toml | $(VENV)/bin/uv
	$(UV_INSTALL) -e .
	touch $@

$(VENV)/installed: pyproject.toml | $(VENV)/bin/uv
	$(UV_INSTALL) -e '.[dev]'
	touch $@ $(VENV)/installed-run

install: $(VENV)/installed

# Run the bot on SQLite, loading examples/roadmap.yaml into an empty store.
run: $(VENV)/installed-run
	$(VENV)/bin/canwe serve --seed examples/roadmap.yaml

# The whole test suite, with the linters. Half its time is spent waiting (servers starting,
# processes killed and restarted, deliveries retried), so it runs in one worker a core, up to
# four: each worker has its own PostgreSQL database and SQLite files (tests/conftest.py).
PYTEST := $(PY) -m pytest -q -n auto --maxprocesses=4
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PYTEST)

# The suite again with the machine's clock moved (Debian's faketime; needs `apt-get install
# faketime`): a Saturday evening a year ahead (in Tokyo, already Sunday morning), and the
# Monday after the US clocks went forward, in New York. Tests state their own moment, so both
# must pass exactly as today. The browser tests are left out: Chromium under libfaketime is
# slow and they add nothing about dates that the rest does not. The monotonic clock stays
# real (faking it hangs lock time-outs); tests/faketime works around libfaketime's sleep.
# FAKETIME_DONT_RESET: a `canwe serve` a test starts goes on from the test's moment instead
# of starting the fake day again, so processes that share a store share a clock, as in life.
FAKETIME_RUN = FAKETIME_DONT_RESET=1 FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH=tests/faketime faketime -f
test-any-day: install
	TZ=Asia/Tokyo $(FAKETIME_RUN) "@2027-12-05 04:30:00" $(PYTEST) -m "not browser"
	TZ=America/New_York $(FAKETIME_RUN) "@2027-03-15 08:30:00" $(PYTEST) -m "not browser"

lint: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
