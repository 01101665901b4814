# Reply Rewriter: `make run` starts the service, `make test` runs the whole suite.
#
# Both create .venv and install requirements.lock into it, once (a stamp file tracks the lock).
# pyproject.toml declares the direct dependencies; `make lock` resolves them into
# requirements.lock (pip-tools: every package pinned as name==version, nothing local).
#
# llama-cpp-python is the one package built from source. llama.cpp's default build is
# `-march=native`: it runs only on CPUs like the one that built it, and a wheel of it in pip's
# cache (which pip keys on the source archive, not on build flags) would be picked up silently.
# So it is built here with pinned, portable flags (x86-64 with AVX2/FMA/F16C, no AVX-512, no AMX),
# never from pip's cache and never as a prebuilt binary, into a folder named after the version
# and the flags; the service then proves at start-up, in a child process, that it generates.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.installed

LLAMA_VERSION    := $(shell sed -n 's/^llama-cpp-python==\([^ ;]*\).*/\1/p' requirements.lock)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
                    -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
                    -DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF
LLAMA_KEY        := $(shell printf '%s %s %s' '$(LLAMA_VERSION)' '$(LLAMA_CMAKE_ARGS)' "$$(uname -m)" | sha256sum | cut -c1-12)
WHEELS           ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/reply-rewriter/wheels
LLAMA_WHEELS     := $(WHEELS)/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)
TORCH_PIN        := $(shell grep -E '^torch==' requirements.lock)
UV_VERSION       := 0.13.9
# Where pip finds the CPU build of torch (torch==X+cpu in the lock) when its configuration does
# not already: PyTorch's CPU wheel index. Empty: pip's own configuration.
TORCH_INDEX      ?=

.DEFAULT_GOAL := help
.PHONY: help install run test bench eval lock check-lock llama-wheel clean clean-llama

help:
	@echo "make run    start the service (REWRITER_* settings; default: the embedded local model)"
	@echo "make test   run the whole test suite"
	@echo "make bench  run the benchmarks under benchmarks/"
	@echo "make eval   score the default template and model on evals/datasets/support.jsonl"
	@echo "make lock   re-resolve pyproject.toml's dependencies into requirements.lock"

# Three steps: the portable llama-cpp-python wheel; torch by pip, which reads the pip
# configuration that says where its CPU build is; then the rest of the lock by uv (about 20 s
# against 2 minutes for pip), which finds both already installed and never builds llama.cpp.
$(STAMP): requirements.lock $(LLAMA_WHEELS)/.built | check-lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing requirements.lock into $(VENV)"
	$(PIP) install --quiet uv==$(UV_VERSION)
	$(PIP) install --quiet --no-deps --no-index --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PIP) install --quiet --no-deps $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) $(TORCH_PIN)
	$(VENV)/bin/uv pip install --quiet --python $(PY) --only-binary llama-cpp-python -r requirements.lock
	@touch $@

install: $(STAMP)

# The portable llama-cpp-python wheel, built once per machine (about 3 minutes on 2 cores).
llama-wheel: $(LLAMA_WHEELS)/.built

$(LLAMA_WHEELS)/.built:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "building llama-cpp-python $(LLAMA_VERSION) for a portable CPU (once per machine: about 3 minutes on 2 cores)"
	@rm -rf $(LLAMA_WHEELS).partial && mkdir -p $(LLAMA_WHEELS).partial
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	    $(PIP) wheel --quiet --no-cache-dir --no-deps --no-binary llama-cpp-python \
	    --wheel-dir $(LLAMA_WHEELS).partial llama-cpp-python==$(LLAMA_VERSION)
	@echo "$(LLAMA_CMAKE_ARGS)" > $(LLAMA_WHEELS).partial/.built
	@rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).partial $(LLAMA_WHEELS)

run: $(STAMP)
	$(PY) -m api serve

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks.guard_accuracy
	$(PY) -m benchmarks.local_model
	$(PY) -m benchmarks.default_model
	$(PY) -m benchmarks.evals_harness
	$(PY) -m benchmarks.cpu_per_request
	$(PY) -m benchmarks.provider_clients

eval: $(STAMP)
	$(PY) -m evals run --dataset evals/datasets/support.jsonl --out evals/runs/latest

# Every line of the lock is `name==version` (with an optional environment marker): no local
# paths, no file or VCS URLs, nothing only one machine can install.
LOCK_FILE ?= requirements.lock
check-lock:
	@awk '/^[[:space:]]*(#|$$)/ { next } \
	     !/^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+[[:space:]]*(;[^@]*)?$$/ { \
	         printf "%s:%d: not a name==version pin: %s\n", FILENAME, NR, $$0; bad = 1 } \
	     /^torch==/ && !/\+cpu/ { \
	         printf "%s:%d: torch must be the CPU build (torch==X+cpu; see TORCH_INDEX): %s\n", FILENAME, NR, $$0; bad = 1 } \
	     END { if (bad) { print "the lock must install anywhere; regenerate it with `make lock`"; exit 1 } }' $(LOCK_FILE)

LOCK_VENV := .venv-lock
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	    $(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check pip-tools==7.6.2; }
	$(LOCK_VENV)/bin/pip-compile --quiet --strip-extras --no-emit-find-links --no-emit-index-url \
	    --no-emit-trusted-host $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) \
	    --extra local --extra eval --extra test --output-file requirements.lock pyproject.toml
	rm -rf build *.egg-info
	@$(MAKE) --no-print-directory check-lock

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .hypothesis

# The built llama.cpp wheels too (the next install compiles again).
clean-llama: clean
	rm -rf $(WHEELS)/llama-cpp-python-*
