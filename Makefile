# The two commands of the README's quick start.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install lint

$(VENV)/installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/installed

# Run the bot on SQLite, loading examples/roadmap.yaml into an empty store.
run: install
	$(VENV)/bin/canwe serve --seed examples/roadmap.yaml

# The whole test suite, with the linters.
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
