"""Serve an ASGI app with uvicorn in a background thread (the stand-in, tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
from typing import Any


class ThreadedServer:
    """uvicorn on 127.0.0.1 (port 0 by default: a free port), in a daemon thread.

    The listening socket is bound before the thread starts, so ``base_url`` is usable at once:
    a request sent before uvicorn's loop is up waits in the socket's backlog.
    """

    def __init__(self, app: Any = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def bind(self) -> ThreadedServer:
        """Take the port now (its number is then known) and serve later with ``start``."""
        if self._sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            self.port = sock.getsockname()[1]
            self._sock = sock
        return self

    def start(self) -> ThreadedServer:
        import uvicorn

        if self.app is None:
            raise ValueError("ThreadedServer has no app to serve")
        sock = self.bind()._sock
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"uvicorn-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
