"""Logging set-up: one JSON object per line (python-json-logger) or plain text, for our loggers
and uvicorn's alike.

Drafts and customer messages never reach a log line unless `REWRITER_LOG_CONTENT` is on: our
own lines carry ids, names, statuses and timings only, and the loggers of libraries that could
echo a prompt (litellm, httpx, openai) are kept at WARNING.
"""

from __future__ import annotations

import json
import logging.config
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from api.core.settings import Settings

# A record's attributes that are not fields of the line: logging's own, uvicorn's ANSI copy of
# its message, and the marker litellm's filter stamps on every record.
_NOT_FIELDS = [*RESERVED_ATTRS, "color_message", "litellm_redacted"]

# Libraries whose debug/info lines can carry request bodies, prompts or URLs with keys.
QUIET = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx", "httpcore", "openai")


def config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict; also handed to uvicorn so its lines match ours."""
    level = settings.log_level.upper()
    if settings.log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "reserved_attrs": _NOT_FIELDS,
        }
    else:
        formatter = {"()": KeyValueFormatter, "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
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
            **{name: {"level": "WARNING"} for name in QUIET},
        },
    }


class KeyValueFormatter(logging.Formatter):
    """Plain text with the same fields as the JSON lines, as ` key=value` after the message
    (a value with spaces, quotes or `=` is JSON-quoted; dicts and lists are JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [f"{key}={_text(value)}" for key, value in record.__dict__.items()
                  if key not in _NOT_FIELDS and not key.startswith("_")]
        if not fields:
            return line
        head, newline, rest = line.partition("\n")  # a traceback stays below the fields
        return f"{head} {' '.join(fields)}{newline}{rest}"


def _text(value: Any) -> str:
    if isinstance(value, str):
        # Quoted (JSON-escaped) unless plainly printable with no space, quote or '=': a draft logged
        # with REWRITER_LOG_CONTENT cannot forge a line or send a terminal escape.
        return value if value.isprintable() and value and not any(c in value for c in ' "=') else json.dumps(value)
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return json.dumps(value, default=str, separators=(",", ":"))


def quiet_libraries() -> None:
    """Keep libraries that can log prompts or keys (litellm at DEBUG prints whole requests) at
    WARNING, whatever the root level; called by `create_app`, so every entry point gets it."""
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(settings: Settings) -> dict[str, Any]:
    conf = config(settings)
    logging.config.dictConfig(conf)
    return conf
