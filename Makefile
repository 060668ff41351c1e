# make demo: set up .venv and materialize the pipeline on the bundled sample crawl
# make test: lint + the whole test suite (unit, assets and e2e tiers, in two worker processes)
# make test-unit: the unit tier alone (the library, no lake; under a minute)
# make ui:   the Dagster web UI on 127.0.0.1:$(PORT), behind the origin guard (orchestration/ui.py)
# make postgres: a local PostgreSQL server for the lake catalog (several processes write one lake; see README)
# make ray: a Ray head on this machine, loopback only (then CURATOR_COMPUTE=ray CURATOR_RAY_ADDRESS=auto); make ray-stop
# make maintain: expire old lake snapshots (not those a manifest pins), merge small files, delete unused ones
# make screenshot: re-take docs/images/*.png over make demo's runs (headless chromium: apt-get install chromium)
PYTHON ?= python3.11
PORT ?= 3000
VENV := .venv
BIN := $(VENV)/bin
DAGSTER_HOME ?= $(CURDIR)/.dagster
export DAGSTER_HOME
# dagster-dbt runs `dbt` from PATH when it re-parses the project under `dagster dev`
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test test-unit ui screenshot bench clean maintain postgres ray ray-stop

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# dagster-dbt reads the dbt manifest when the code location loads: parse whenever models change (offline).
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests dbt_project/seeds -type f 2>/dev/null) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml
dbt_project/target/manifest.json: $(BIN)/.installed $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .

install: $(BIN)/.installed dbt_project/target/manifest.json

# The Dagster instance that demo runs are recorded in and the UI reads (orchestration/instance.py writes it):
# telemetry off (no network at run time); pools default to one slot (the `gpu` pool runs one step at a time
# across all runs); run monitoring on, so a killed run ends as failed and the pool slots it held come back.
$(DAGSTER_HOME)/dagster.yaml: Makefile orchestration/instance.py
	$(BIN)/python -m orchestration.instance $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m orchestration.demo

# Two workers: one runs the demo pipeline and its readers (tests/e2e), the other the unit and asset tiers.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --no-loadscope-reorder

test-unit: install
	$(BIN)/python -m pytest -p no:xdist -m unit tests/unit

ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m orchestration.ui --host 127.0.0.1 --port $(PORT)

postgres: install
	$(BIN)/curator postgres start --folder $(CURDIR)/.postgres

# RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0: Ray takes 127.0.0.1 as the node address, so every Ray server binds to loopback
ray: install
	RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 $(BIN)/ray start --head --include-dashboard false --disable-usage-stats

ray-stop:
	$(BIN)/ray stop

maintain: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m orchestration.demo --maintain

screenshot: install $(DAGSTER_HOME)/dagster.yaml
	CURATOR_SCREENSHOT_DIR=$(CURDIR)/docs/images $(BIN)/python -m pytest -q tests/e2e/test_webserver.py -k chromium

bench: install
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/rating_bench.py
	$(BIN)/python bench/mixture_bench.py

clean:
	rm -rf data/lake data/landing .dagster
