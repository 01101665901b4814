"""llama.cpp's own log, routed through `logging` (a JSON line each, like ours)."""

from __future__ import annotations

import logging
import threading
from typing import Any

# llama.cpp's log levels (enum ggml_log_level: NONE, DEBUG, INFO, WARN, ERROR, CONT). Its INFO
# lines are load-time chatter (every tensor, every buffer size): DEBUG for us. CONT continues the
# previous line. (llama-cpp-python's own callback maps an older enum, so WARN lines came out as
# errors, printed raw on stderr.)
_GGML_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.DEBUG, 3: logging.WARNING, 4: logging.ERROR}
_GGML_CONT = 5
llama_log = logging.getLogger("llama_cpp")


class _LogBridge:
    """llama.cpp's log callback: whole lines to the `llama_cpp` logger, so they come out in our
    format (a JSON line each) instead of raw text between our lines. llama.cpp hands over pieces
    of lines; a line is logged when its newline arrives."""

    def __init__(self) -> None:
        self._pending = ""
        self._level = logging.DEBUG
        self._lock = threading.Lock()
        self.callback: Any = None  # the ctypes function; kept here so it is never collected

    def __call__(self, level: int, text: bytes, user_data: Any) -> None:
        try:
            piece = text.decode("utf-8", errors="replace") if text else ""
            with self._lock:
                if level != _GGML_CONT:
                    self._level = _GGML_LEVELS.get(level, logging.DEBUG)
                self._pending += piece
                *lines, self._pending = self._pending.split("\n")
                level_now = self._level
            for line in lines:
                if line.strip():
                    llama_log.log(level_now, line.strip())
        except Exception:  # noqa: BLE001 - an exception must never cross back into C
            pass


_bridge = _LogBridge()


def route_llama_logs() -> None:
    """Send llama.cpp's own log through `logging` (idempotent; imports llama_cpp)."""
    import ctypes

    import llama_cpp
    import llama_cpp.llama  # noqa: F401 - its import installs llama-cpp-python's callback: replace it after

    if _bridge.callback is None:
        _bridge.callback = llama_cpp.llama_log_callback(_bridge)
    llama_cpp.llama_log_set(_bridge.callback, ctypes.c_void_p(0))
