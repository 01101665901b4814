"""Logging set-up: one JSON object per line (python-json-logger) or plain text, for our loggers
and uvicorn's alike.

Drafts and customer messages never reach a log line unless `REWRITER_LOG_CONTENT` is on: our
own lines carry ids, names, statuses and timings only, and the loggers of libraries that could
echo a prompt (litellm, httpx, openai) are kept at WARNING.
"""

from __future__ import annotations

import logging.config
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from api.core.settings import Settings

# Libraries whose debug/info lines can carry request bodies, prompts or URLs with keys.
_QUIET = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx", "httpcore", "openai")


def config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict; also handed to uvicorn so its lines match ours."""
    level = settings.log_level.upper()
    if settings.log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn's ANSI copy of its message, and the marker litellm's filter stamps on
            # every record: noise in a JSON line.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message", "litellm_redacted"],
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Our own access line (api.http.context) replaces uvicorn's, which has no request id.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            **{name: {"level": "WARNING"} for name in _QUIET},
        },
    }


def quiet_libraries() -> None:
    """Keep libraries that can log prompts or keys (litellm at DEBUG prints whole requests) at
    WARNING, whatever the root level; called by `create_app`, so every entry point gets it."""
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(settings: Settings) -> dict[str, Any]:
    conf = config(settings)
    logging.config.dictConfig(conf)
    return conf
