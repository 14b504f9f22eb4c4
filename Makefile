# One-command set-up for the Activation Functions course.
#   make book   bootstrap, then build the rendered book into _build/html
#   make test   bootstrap, then run the whole test suite
# Bootstrap = Debian packages the project needs (bubblewrap for the grading sandbox,
# chromium for the browser tests), a .venv with requirements.txt and the project.
# A second run reuses .venv: it reinstalls only when requirements.txt or
# pyproject.toml changed.

SHELL        := /bin/bash
PYTHON       ?= python3
VENV         ?= .venv
PY           := $(VENV)/bin/python
STAMP        := $(VENV)/.installed
APT_PACKAGES := bubblewrap chromium fonts-dejavu-core postgresql
PYTEST_ARGS  ?=

# Quiet TensorFlow's C++ start-up log in book cells and tests.
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: all bootstrap system-deps venv book book-clean test test-fast bench demo clean help

all: book

help:
	@echo "make book       build the book into _build/html (bootstraps first)"
	@echo "make test       run the whole test suite (bootstraps first)"
	@echo "make test-fast  skip the tests marked slow"
	@echo "make bench      run the benchmarks and print their figures"
	@echo "make demo       autograde a generated class end to end"
	@echo "make clean      remove _build and the autograder's course state"

bootstrap: system-deps venv

# Install only what is missing, so a warm run touches neither apt nor the network.
system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  echo ">> installing Debian packages:$$missing"; \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo ">> Debian packages present: $(APT_PACKAGES)"; \
	fi

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || { echo ">> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $@
	@echo ">> $(VENV) ready"

book: bootstrap
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going
	@echo ">> open _build/html/index.html"

book-clean:
	rm -rf _build

test: bootstrap
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: bootstrap
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: bootstrap
	$(PY) benchmarks/dp_step.py
	$(PY) benchmarks/grading.py

demo: bootstrap
	$(PY) -m autograder demo

clean:
	rm -rf _build autograder/course
