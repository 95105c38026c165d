"""A TCP proxy for fault-injection tests: forwards to a server until told to blackhole
(connections accepted, nothing answered) or refuse (new connections closed at once)."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.mode = "forward"  # forward | blackhole | refuse
        self._trigger: bytes | None = None  # blackhole when a client sends this
        self._clients: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="tcp-proxy", daemon=True)

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    def blackhole(self) -> None:
        """Existing and new connections stay open, and nothing is forwarded either way."""
        self.mode = "blackhole"

    def blackhole_on(self, marker: bytes) -> None:
        """Blackhole as soon as a client sends `marker` (a table name in a statement, say),
        without forwarding it: the partition starts in the middle of that very call."""
        self._trigger = marker

    def forward(self) -> None:
        self._trigger = None
        self.mode = "forward"

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        self._thread.join(timeout=2)

    def _serve(self) -> None:
        selector = selectors.DefaultSelector()
        self._listener.setblocking(False)
        selector.register(self._listener, selectors.EVENT_READ, None)
        while not self._stop.is_set():
            try:
                events = selector.select(timeout=0.05)
            except (OSError, ValueError):
                return
            if self.mode == "blackhole" and any(key.data is not None for key, _ in events):
                self._stop.wait(0.05)  # unread data keeps the sockets readable: do not spin
            for key, _ in events:
                if key.data is None:
                    self._accept(selector)
                    continue
                source, peer = key.fileobj, key.data
                if self.mode == "blackhole":
                    continue  # leave it unread: the sender waits for an answer forever
                try:
                    chunk = source.recv(65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    self._drop(selector, source, peer)
                    continue
                if self._trigger and source in self._clients and self._trigger in chunk:
                    self.mode = "blackhole"  # the chunk is lost: the server never sees it
                    continue
                try:
                    peer.sendall(chunk)
                except OSError:
                    self._drop(selector, source, peer)

    def _accept(self, selector) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        if self.mode == "refuse":
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=2)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setblocking(True)
        with self._lock:
            self._sockets += [client, upstream]
            self._clients.add(client)
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)

    def _drop(self, selector, *socks) -> None:
        for sock in socks:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(sock)
            with contextlib.suppress(OSError):
                sock.close()
