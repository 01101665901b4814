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


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _head_bytes = 0
    _in_head = True  # a new connection starts with a request's head
    _refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, "Request header fields too large",
                             f"the request line and headers are over {MAX_HEAD_BYTES // 1024} KiB")
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._in_head, self._head_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "Bad request", "the request is not valid HTTP/1.1 (a malformed request line or header)")

    def _refuse(self, status: int, title: str, detail: str) -> None:
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
