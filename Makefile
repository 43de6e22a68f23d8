# Everything installs into .venv; `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run install test test-fast test-network lint coverage fuzz fuzz-long soak bench bench-cpu bench-tail hostile image image-base image-test clean

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

# One process per core (pytest-xdist); a test that is slow hands the rest to the other workers.
PYTEST_PARALLEL := -n auto --dist worksteal

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

# Quick feedback while working: everything but schemathesis, the tests marked slow (several servers
# or workers, a nested pytest run, megabytes of traffic), the load test and the fifth-vendor copy.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -q -x -m "not fuzz and not network and not slow" --ignore=tests/test_load.py --ignore=tests/test_fifth_vendor.py

# The tests that install from a package registry (a wheel into a fresh venv, the npm example).
test-network: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m network

$(VENV)/.installed-lint: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $@

# Redocly CLI, from the npm registry, lints the bundled OpenAPI documents (redocly.yaml); it needs
# Node.js 20.19 or later and npm.
REDOCLY_VERSION := 2.77.0
REDOCLY := $(VENV)/redocly/node_modules/.bin/redocly
$(REDOCLY): | $(BIN)/python
	@command -v npm >/dev/null 2>&1 || { echo "make lint needs Node.js 20.19+ with npm, for Redocly CLI (https://nodejs.org, or your system's nodejs and npm packages)" >&2; exit 2; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/redocly @redocly/cli@$(REDOCLY_VERSION)

# ruff's checks and formatting, mypy as configured in pyproject.toml, and the OpenAPI documents.
lint: $(VENV)/.installed-lint $(REDOCLY)
	$(BIN)/ruff check mockserver tests benchmarks
	$(BIN)/ruff format --check mockserver tests benchmarks
	$(BIN)/mypy
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint --config redocly.yaml --format summary

# Lines and branches the suite runs in-process, per package (servers in subprocesses are not counted).
coverage: $(VENV)/.installed-test
	$(BIN)/python -m coverage run --branch --source=mockserver -m pytest -q
	$(BIN)/python -m coverage json -q -o $(VENV)/coverage.json
	$(BIN)/python -m tests.coverage_by_package $(VENV)/coverage.json

# Explore: long schemathesis runs (all phases, 300 cases per operation, every vendor), and the
# property tests with fresh random examples each run (`make test` draws the same ones every run).
fuzz: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=fuzz MOCKSERVER_FUZZ_EXAMPLES=300 MOCKSERVER_WORLD_EXAMPLES=500 $(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not network"

# The long run: all phases, 1000 cases per operation, three seeds, every vendor; writes docs/fuzz-long.md.
FUZZ_RECORD := $(VENV)/fuzz-long.jsonl
fuzz-long: $(VENV)/.installed-test
	rm -f $(FUZZ_RECORD)
	MOCKSERVER_FUZZ_EXAMPLES=1000 MOCKSERVER_FUZZ_SEEDS=1,2,3 MOCKSERVER_FUZZ_RECORD=$(FUZZ_RECORD) \
		$(BIN)/python -m pytest -m fuzz -v; status=$$?; \
		$(BIN)/python -m tests.fuzz_report $(FUZZ_RECORD) --out docs/fuzz-long.md; exit $$status

# Ten minutes of mixed traffic on one worker; checks memory stops growing, writes docs/soak.md.
soak: $(VENV)/.installed-test
	$(BIN)/python -m tests.soak --minutes 10 --out docs/soak.md

# Benchmark against Stoplight Prism and a bare Starlette app; writes docs/benchmarks.md (about 6 minutes).
# A quick run: make bench BENCH_ROUNDS=1 BENCH_DURATION=3. Installs wrk (Debian) and Prism (npm) if missing.
PRISM_VERSION := 5.16.0
PRISM_DIR := benchmarks/.prism

$(PRISM_DIR)/.installed-$(PRISM_VERSION):
	rm -rf $(PRISM_DIR) && mkdir -p $(PRISM_DIR)
	npm install --prefix $(PRISM_DIR) --no-audit --no-fund --loglevel=error @stoplight/prism-cli@$(PRISM_VERSION)
	touch $@

bench: $(VENV)/.installed-test $(PRISM_DIR)/.installed-$(PRISM_VERSION)
	command -v wrk >/dev/null || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); $$sudo apt-get update && $$sudo apt-get install -y wrk; }
	BENCH_PRISM=$(PRISM_DIR)/node_modules/.bin/prism $(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/tail.py

# Server CPU per 1,000 spread Botpress requests (7- and 30-day windows), this checkout beside
# BENCH_BASELINE (a commit, checked out as a worktree under .venv), in one run: in-process, then
# served with the defaults under wrk (BENCH_SERVED seconds a round): about 5 minutes.
BENCH_BASELINE ?= 177d9b2
BENCH_SERVED ?= 8
bench-cpu: $(VENV)/.installed-test
	command -v wrk >/dev/null || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); $$sudo apt-get update && $$sudo apt-get install -y wrk; }
	rm -rf $(VENV)/baseline && git worktree prune && git worktree add --detach $(VENV)/baseline $(BENCH_BASELINE)
	printf '%s\n\n%s\n%s\n%s\n%s\n%s\n\n' '# Server CPU per request: Botpress spread requests' \
		'Written by `make bench-cpu` (`benchmarks/spread_cpu.py`): each request a random bot among 1,000 and a random' \
		'range within a year, this checkout and an earlier one measured in the same run: straight into the ASGI app' \
		'(in-process), and served with the defaults under wrk (what users run: the HTTP protocol and the log too).' \
		'A range'"'"'s days are the model'"'"'s work; routing, validation, the JSON and the journal cost the same for any' \
		'range, so they weigh more in a 7-day request than in a 30-day one.' > docs/cpu.md
	$(BIN)/python benchmarks/spread_cpu.py --baseline $(VENV)/baseline --window 7 --out docs/cpu.md
	$(BIN)/python benchmarks/spread_cpu.py --baseline $(VENV)/baseline --window 30 --out docs/cpu.md
	$(BIN)/python benchmarks/spread_cpu.py --baseline $(VENV)/baseline --window 7 --server $(BENCH_SERVED) --out docs/cpu.md
	$(BIN)/python benchmarks/spread_cpu.py --baseline $(VENV)/baseline --window 30 --server $(BENCH_SERVED) --out docs/cpu.md
	git worktree remove --force $(VENV)/baseline

# Two workers, 200 connections, spread workload: the tail (writes docs/tail-latency.md, about 1.5 minutes).
bench-tail: $(VENV)/.installed-run
	command -v wrk >/dev/null || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); $$sudo apt-get update && $$sudo apt-get install -y wrk; }
	$(BIN)/python benchmarks/tail.py

# What hostile clients and a paused Redis cost a real server (RSS, slowloris, health); prints a table.
hostile: $(VENV)/.installed-test
	$(BIN)/python benchmarks/hostile.py

# The container image (Dockerfile), with buildah where it is installed (no daemon), else podman or
# docker. BASE_IMAGE picks another Python base; `make image-base` makes a Debian one with
# debootstrap, for machines that reach no image registry (as .ci/run does).
IMAGE ?= mockserver:test
BASE_IMAGE ?=
IMAGE_BUDGET_MB ?= 450
image: $(VENV)/.installed-test
	$(BIN)/python -m tests.image build --image $(IMAGE) $(if $(BASE_IMAGE),--base $(BASE_IMAGE))

image-base:
	$(BIN)/python -m tests.image base --name localhost/debian-py:bookworm

# Starts the image and checks it as a CI service runs it (tests/image.py says what).
image-test: image
	$(BIN)/python -m tests.image test --image $(IMAGE) --budget-mb $(IMAGE_BUDGET_MB)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .schemathesis *.egg-info
