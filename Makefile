# One-command set-up for the Activation Functions course.
#   make book   bootstrap, then build the rendered book into _build/html
#   make test   bootstrap, lint (ruff), then run the whole test suite
# Bootstrap = Debian packages the project needs (bubblewrap for the grading sandbox,
# chromium for the browser tests), a .venv with the exact, hash-checked versions of
# requirements.lock, and the project. A second run reuses .venv: it reinstalls only when
# requirements.lock or pyproject.toml changed.
#   make lock   recompile requirements.lock from requirements.txt (UPGRADE=1: newest versions)
#   make lock-student  recompile requirements-student.lock (the student edition's install)
#   make lint   ruff (run first by make test)

SHELL        := /bin/bash
PYTHON       ?= python3
VENV         ?= .venv
PY           := $(VENV)/bin/python
STAMP        := $(VENV)/.installed
LOCK         := requirements.lock
PIP_VERSION  := 26.3
UV_VERSION   := 0.13.9
# The lock is compiled for CPython >= 3.11.5 on this platform (Linux x86_64).
LOCK_PYTHON  := 3.11.5
UPGRADE      ?=
APT_PACKAGES := bubblewrap chromium fonts-dejavu-core postgresql
PYTEST_ARGS  ?=

# Quiet TensorFlow's C++ start-up log in book cells and tests.
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: all bootstrap system-deps venv lock lock-student lint book book-clean student-edition test test-fast bench demo clean help

all: book

help:
	@echo "make book       build the book into _build/html (bootstraps first)"
	@echo "make test       lint, then run the whole test suite (bootstraps first)"
	@echo "make test-fast  skip the tests marked slow"
	@echo "make lint       ruff over the code and notebooks"
	@echo "make lock       recompile requirements.lock (UPGRADE=1 takes the newest versions)"
	@echo "make lock-student  recompile requirements-student.lock (the student edition's)"
	@echo "make bench      run the benchmarks and print their figures"
	@echo "make demo       autograde a generated class end to end"
	@echo "make student-edition  book + released exercises + coursepkg, no solutions (folder + zip)"
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

# The lock pins every package with its hashes; the project itself is built with the
# locked setuptools (no build isolation), so nothing unlocked is downloaded.
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(PY) || { echo ">> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q pip==$(PIP_VERSION)
	$(PY) -m pip install -q --require-hashes -r $(LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@
	@echo ">> $(VENV) ready"

# Keeps the versions already in the lock unless UPGRADE=1; uv is installed on demand.
lock:
	@test -x $(PY) || { echo ">> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@$(PY) -m uv --version 2>/dev/null | grep -q "uv $(UV_VERSION)" || $(PY) -m pip install -q uv==$(UV_VERSION)
	$(PY) -m uv pip compile requirements.txt --generate-hashes --python-version $(LOCK_PYTHON) \
	  --custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade) -o $(LOCK)
	@echo ">> $(LOCK) written; commit it, then make bootstrap installs it"

# The student edition's lock: every platform (students' laptops: --universal), and the
# versions of $(LOCK) wherever the two share a package (-c), so students run what is tested.
lock-student:
	@test -x $(PY) || { echo ">> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@$(PY) -m uv --version 2>/dev/null | grep -q "uv $(UV_VERSION)" || $(PY) -m pip install -q uv==$(UV_VERSION)
	$(PY) -m uv pip compile requirements-student.txt --universal --generate-hashes \
	  --python-version $(LOCK_PYTHON) -c $(LOCK) --custom-compile-command "make lock-student" \
	  --quiet -o requirements-student.lock
	@echo ">> requirements-student.lock written; commit it (make student-edition ships it)"

lint: bootstrap
	$(VENV)/bin/ruff check .

book: bootstrap
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going
	@echo ">> open _build/html/index.html"

# What students get: _build/student-edition/ and _build/student-edition.zip (see
# tools/student_edition.py). Reuses _build/html when it exists (else builds the book);
# STUDENT_EDITION_ARGS=--no-book leaves the book out.
STUDENT_EDITION_ARGS ?=
student-edition: bootstrap
	@if [[ "$(STUDENT_EDITION_ARGS)" != *--no-book* && ! -f _build/html/index.html ]]; then $(MAKE) book; fi
	$(PY) tools/student_edition.py $(STUDENT_EDITION_ARGS)

book-clean:
	rm -rf _build

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: lint
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: bootstrap
	$(PY) benchmarks/dp_step.py
	$(PY) benchmarks/grading.py

demo: bootstrap
	$(PY) -m autograder demo

clean:
	rm -rf _build autograder/course
