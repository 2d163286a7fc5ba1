"""A real uvicorn server on 127.0.0.1 in a thread, for tests of the web API."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from abmkpi.web.app import create_app
from abmkpi.web.state import WebState
from abmkpi.workspace import Workspace

# Loggers of the server side; the test client's own loggers are left out.
SERVER_LOGGERS = ("abmkpi", "uvicorn", "uvicorn.error", "fastapi", "starlette")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LogCapture(logging.Handler):
    """Every formatted record of the server loggers, at every level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.lines.append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class Server:
    """The dashboard app of a workspace served by uvicorn on a free port."""

    def __init__(self, workspace: Workspace, bind_host: str = "127.0.0.1"):
        self.app = create_app(workspace, bind_host=bind_host)
        self.port = free_port()
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="debug",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self) -> WebState:
        state: WebState = self.app.state.web
        return state

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def client(self, token: str | None = None, **options: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **options)


@contextmanager
def serving(
    workspace: Workspace,
    bind_host: str = "127.0.0.1",
    prepare: Callable[[FastAPI], None] | None = None,
) -> Iterator[tuple[Server, LogCapture]]:
    """Serve a workspace while capturing the server's logs.

    The handler is added after uvicorn has configured its loggers, which
    replaces their handlers. uvicorn's access log stays off, as
    ``abmkpi serve`` runs it.
    """
    server = Server(workspace, bind_host)
    if prepare is not None:
        prepare(server.app)
    capture = LogCapture()
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.DEBUG)
    server.start()
    try:
        yield server, capture
    finally:
        server.stop()
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(capture)
            logger.setLevel(level)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """Return the error of an envelope response, checking its shape."""
    document = response.json()
    assert set(document) == {"error"}, document
    error: dict[str, Any] = document["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == response.status_code
    return error
