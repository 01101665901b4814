# Reply Rewriter service image. Build: docker build -t reply-rewriter .
# Run:   docker run -p 8000:8000 reply-rewriter            (embedded local model, no keys)
#        docker run -p 8000:8000 -e REWRITER_MODEL=openai/gpt-4o-mini -e OPENAI_API_KEY=... reply-rewriter

# --- build stage: compile llama-cpp-python once, as wheels --------------------------------------
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.lock .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.lock

# --- runtime stage -----------------------------------------------------------------------------
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 rewriter
# Dependencies first, in their own layer: it changes only when requirements.lock does.
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY api/ api/
COPY prompts/ prompts/
USER rewriter
ENV REWRITER_HOST=0.0.0.0 \
    REWRITER_PORT=8000 \
    REWRITER_CACHE_DIR=/home/rewriter/.cache/reply-rewriter \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    PYTHONUNBUFFERED=1
# Assemble the default model into the image so the first start does not.
RUN python -c "from pathlib import Path; from api.local_model import default_model_path; \
print(default_model_path(Path('/home/rewriter/.cache/reply-rewriter')))"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
# uvicorn, started through the CLI so a broken template or model file exits with a clear message.
ENTRYPOINT ["python", "-m", "api", "serve"]
