# Reply Rewriter: `make run` starts the service, `make test` runs the whole suite.
# Both create .venv and install requirements.lock into it, once (a stamp file tracks the lock;
# pip's cache keeps the llama-cpp-python wheel it built the first time). pyproject.toml declares
# the direct dependencies; `make lock` re-resolves them and rewrites requirements.lock.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test bench eval lock clean

help:
	@echo "make run    start the service (REWRITER_* settings; default: the embedded local model)"
	@echo "make test   run the whole test suite"
	@echo "make bench  run the benchmarks under benchmarks/"
	@echo "make eval   score the default template and model on evals/datasets/support.jsonl"
	@echo "make lock   re-resolve pyproject.toml's dependencies into requirements.lock"

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (the first time builds llama-cpp-python: about 6 minutes)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

install: $(STAMP)

run: $(STAMP)
	$(PY) -m api serve

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/guard_accuracy.py
	$(PY) benchmarks/local_model.py
	$(PY) benchmarks/evals_harness.py

eval: $(STAMP)
	$(PY) -m evals run --dataset evals/datasets/support.jsonl --out evals/runs/latest

lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check ".[local,eval,test]"
	@{ echo "# The whole environment of the service and its tests, pinned; generated from pyproject.toml by \`make lock\`."; \
	  $(PY) -m pip freeze --disable-pip-version-check | grep -v '^reply-rewriter'; } > requirements.lock
	$(PY) -m pip uninstall --quiet --yes reply-rewriter
	rm -rf build *.egg-info

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
