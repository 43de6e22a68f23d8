# Everything installs into .venv; `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run install test fuzz fuzz-long clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the package metadata changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/mockserver serve $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# Long schemathesis runs (all phases, 300 cases per operation, every vendor).
fuzz: $(VENV)/.installed-test
	MOCKSERVER_FUZZ_EXAMPLES=300 $(BIN)/python -m pytest -m fuzz -v

# The long run: all phases, 1000 cases per operation, three seeds, every vendor (about an hour).
fuzz-long: $(VENV)/.installed-test
	MOCKSERVER_FUZZ_EXAMPLES=1000 MOCKSERVER_FUZZ_SEEDS=1,2,3 $(BIN)/python -m pytest -m fuzz -v

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .schemathesis *.egg-info
