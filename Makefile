# The few commands people need. `make workshop` and `make test` are the two in the README.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
# The local model server (MLServer) has pins of its own: a virtual environment of its own.
SERVING_VENV := .venv-serving
SERVING := $(SERVING_VENV)/.installed

.PHONY: chromium help install workshop test check test-workbench unit lab up down status env data preflight benchmark images site lint clean pipeline manifests

help:
	@echo "make workshop   run every notebook in order on the local platform, then print a summary"
	@echo "make test       lint, then the whole test suite (unit, integration, notebooks)"
	@echo "make check     the fast lane while working: lint, then every test not marked slow"
	@echo "make unit       the unit tests only"
	@echo "make test-workbench  the workbench install and the notebooks in simulated OpenShift AI images"
	@echo "make lint       ruff check and ruff format --check (notebooks included)"
	@echo "make lab        JupyterLab with the local platform's settings already set"
	@echo "make pipeline   notebooks 2-6 as a Kubeflow Pipeline, run by kfp.local on the local platform"
	@echo "make manifests  regenerate cluster/: the pipeline, the Katib Experiment, the serving runtime, the FeatureStore, the TrainJob"
	@echo "make up | status | down   start, show (with its ports), stop the local platform"
	@echo "make -s env     print the export lines the notebooks read, and the ports in use"
	@echo "make data       regenerate the shipped dataset in jukebox/data/"
	@echo "make preflight  check settings, S3, the registry and memory (run it in a workbench too)"
	@echo "make benchmark  measure notebooks, platform start, registry and serving latency, a class at once"
	@echo "make images     regenerate the diagrams, plots and screenshots in images/"
	@echo "make site       the guide as a static site in build/site/, each notebook with the outputs of make workshop"

$(RUNTIME): requirements.txt requirements-nodeps.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version)). Set PYTHON=/path/to/python3.11."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e ".[platform]"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	@touch $@

$(SERVING): requirements-serving.txt | $(RUNTIME)
	@test -x $(SERVING_VENV)/bin/python || $(PYTHON) -m venv $(SERVING_VENV)
	$(SERVING_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-serving.txt
	@touch $@

$(DEV): $(RUNTIME) requirements-dev.txt requirements-site.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@$(MAKE) --no-print-directory chromium
	@touch $@

# The browser of the site and screenshot tests: Debian's chromium, installed where this runs as
# root with apt (CI's machines); elsewhere the tests that need it skip and say how to get it.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null && \
	  { echo "Installing Debian's chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } || \
	  echo "No $(CHROMIUM): the browser tests will skip (apt-get install chromium)"; }

install: $(RUNTIME) $(SERVING)

workshop: $(RUNTIME) $(SERVING)
	$(BIN)/jukebox workshop

pipeline: $(RUNTIME)
	$(BIN)/jukebox pipeline

manifests: $(RUNTIME)
	$(BIN)/jukebox manifests

# The whole suite on two workers (conftest.py keeps the notebooks together on one of them).
test: lint $(SERVING)
	$(BIN)/python -m pytest -n 2

# The fast lane while working: lint, then everything not marked slow (no notebooks).
check: lint $(SERVING)
	$(BIN)/python -m pytest -n 2 -m "not slow" tests

# Slow (builds the images' environments once, then caches them): CI runs it after `make test`.
test-workbench: $(DEV) $(SERVING)
	$(BIN)/python tests/workbench/simulate.py

unit: $(DEV)
	$(BIN)/python -m pytest -n 2 tests/unit tests/workbench

lab: $(RUNTIME) $(SERVING)
	$(BIN)/jukebox up
	source <($(BIN)/jukebox env) && cd jukebox && ../$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

up: $(RUNTIME) $(SERVING)
	$(BIN)/jukebox up

down: $(RUNTIME)
	$(BIN)/jukebox down

status: $(RUNTIME)
	$(BIN)/jukebox status

env: $(RUNTIME)
	@$(BIN)/jukebox env

data: $(RUNTIME)
	$(BIN)/jukebox data generate

preflight: $(RUNTIME)
	source <($(BIN)/jukebox env 2>/dev/null); $(BIN)/jukebox preflight

benchmark: $(DEV) $(SERVING)
	$(BIN)/python benchmarks/run_all.py

images: $(DEV)
	$(BIN)/python images/make_images.py

# Built from the executed copies `make workshop` keeps in build/executed/: it runs nothing.
site: $(DEV)
	$(BIN)/python -m jukebox_workshop.local.site

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf build jukebox/output
