"""uvicorn's HTTP/1.1 protocol (httptools) with two changes at the connection level, before any
ASGI code runs:

- The request line and headers are capped at `MAX_HEAD_BYTES`: a request whose head is larger is
  answered 431 and the connection closed while the head is still arriving, so a client cannot
  make the server buffer megabytes of headers (httptools itself has no limit).
- The errors uvicorn answers itself (a request that is not valid HTTP, such as a control character
  in a header) are problem+json in our words, like every other error, instead of `text/plain`.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .problems import PROBLEM_JSON, problem

MAX_HEAD_BYTES = 64 * 1024

_REASONS = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a refused request."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _head_bytes = 0  # raw bytes received while the current head is incomplete
    _head_size = 0  # the current head's request line and headers, as parsed
    _in_head = True  # a new connection starts with a request's head
    _refused = False

    def data_received(self, data: bytes) -> None:
        """Count what arrives while a head is incomplete; a head still incomplete past the cap is
        refused (a chunk that completes the head and carries the body counts for nothing)."""
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse_oversized()

    def _refuse_oversized(self) -> None:
        self._refuse(431, "Request header fields too large",
                     f"the request line and headers are over {MAX_HEAD_BYTES // 1024} KiB")

    def on_message_begin(self) -> None:
        self._head_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """A head that arrived whole in a few reads is measured by its parts: over the cap, it is
        refused before it reaches the app (raising stops the parser; uvicorn then calls
        `send_400_response`, which has nothing left to say)."""
        self._in_head = False
        if self._head_size > MAX_HEAD_BYTES:
            self._refuse_oversized()
            raise _Refused
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # the next request on this connection

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "Bad request", "the request is not valid HTTP/1.1 (a malformed request line or header)")

    def _refuse(self, status: int, title: str, detail: str) -> None:
        if self._refused:
            return
        self._refused = True
        self.logger.warning("request refused at the protocol level", extra={"status": status})
        body = json.dumps(problem(status, title, detail)).encode()
        head = [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            *[name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers],
            b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
