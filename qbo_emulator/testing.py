"""Run the emulator as a real threaded HTTP server for tests: `with EmulatorServer() as emu: ...`."""

from __future__ import annotations

import socket
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from .app import create_app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class EmulatorServer:
    """The emulator app served on 127.0.0.1 on a free port from a daemon thread.

    `stop()` then `start()` serves the same app (same data) on the same port again, so tests can
    simulate QuickBooks being down and coming back.
    """

    def __init__(
        self,
        config: dict | None = None,
        clock=None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ):
        config = dict(config or {})
        self._tmpdir = None
        if "DATABASE" not in config:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="qbo-emulator-")
            config["DATABASE"] = str(Path(self._tmpdir.name) / "qbo_emulator.db")
        self.host = host
        self.port = port or free_port(host)
        self.app = create_app(config, clock=clock)
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def control(self):
        return self.app.extensions["qbo_emulator"].control

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> EmulatorServer:
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="qbo-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def close(self) -> None:
        """Stop serving and stop the webhook thread (the context manager does this)."""
        self.stop()
        self.app.extensions["qbo_emulator"].dispatcher.stop()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
