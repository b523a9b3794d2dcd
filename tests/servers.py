"""Real HTTP servers on 127.0.0.1 for tests, recording every request they receive.

``serving(answer)`` starts a threaded server on a free port and stops it afterwards;
``answer`` gets each :class:`Received` request and returns a :class:`Reply`. The
server's ``received`` list is what it actually got (method, path, headers, body), so a
test can assert which headers reached which origin.

:class:`Scripted` is the in-process counterpart for ``httpx.MockTransport``: it answers
each request with the next of a list of answers and records the requests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass(frozen=True)
class Received:
    """One request as the server read it; header names in lower case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What to answer: a status, a body (bytes, text, or anything JSON) and headers."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> Reply:
        return cls(
            status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers}
        )

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", {"Location": location})

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Answer = Callable[[Received], Reply]


class Server:
    """A running server: ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, answer: Answer) -> None:
        self.received: list[Received] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command,
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                owner.received.append(request)
                reply = answer(request)
                data = reply.encoded()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def header_values(self, name: str) -> list[str | None]:
        """The value of header ``name`` in each request received, in order."""
        return [request.headers.get(name.lower()) for request in self.received]

    def paths(self) -> list[str]:
        return [request.path for request in self.received]


@contextmanager
def serving(answer: Answer) -> Iterator[Server]:
    """A :class:`Server` answering with ``answer``, stopped and joined afterwards."""
    server = Server(answer)
    server._thread.start()
    try:
        yield server
    finally:
        server._server.shutdown()
        server._server.server_close()
        server._thread.join()


ScriptedAnswer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
"""A response, an error to raise (a dropped connection, a timeout), or a handler."""


class Scripted:
    """An ``httpx.MockTransport`` handler answering from a list, recording each request."""

    def __init__(self, *answers: ScriptedAnswer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]

    def params(self, index: int) -> dict[str, str]:
        return dict(self.requests[index].url.params)

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the POSTs received."""
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]
