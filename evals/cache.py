"""The on-disk cache of generations and judgements, keyed by everything that changes the output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import diskcache


def key_of(**parts: Any) -> str:
    """A stable key: the sha256 of the parts as canonical JSON."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class Cache:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._store = diskcache.Cache(str(directory), size_limit=2**32)

    def get(self, key: str) -> Any | None:
        return self._store.get(key)

    def set(self, key: str, value: Any) -> None:
        self._store.set(key, value)

    def close(self) -> None:
        self._store.close()
