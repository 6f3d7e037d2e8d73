"""The first test of clients/python/README.md, kept here so it keeps working."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import rig
from rig.pytest_plugin import UpFunction


def greeter(ctx: rig.FuncContext) -> Callable[[], None]:
    """A service run by the test itself: an HTTP server on the port rigd allocated."""

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

    ingress = ctx.wiring.ingress()
    server = ThreadingHTTPServer((ingress.host, ingress.port), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:  # called when rigd stops the service
        server.shutdown()
        server.server_close()

    return stop


def write_greeter_url(h: rig.HookContext) -> None:
    """Runs before the process starts, with its wiring known."""
    Path(h.wiring.temp_dir, "greeter.txt").write_text(h.wiring.egress("greeter").url)


@pytest.mark.usefixtures("need_rigd")
def test_greeting(rig_up: UpFunction) -> None:
    env = rig_up(
        {
            "greeter": rig.func(greeter),
            # Any executable; ${HOST} and ${PORT} are its own ingress.
            "files": rig.process("python3", "-m", "http.server", "${PORT}", "--bind", "${HOST}")
            .egress("greeter")
            .prestart(write_greeter_url),
        }
    )
    with urllib.request.urlopen(env.endpoint("greeter").url) as response:
        assert response.read() == b"hello"
    urllib.request.urlopen(env.endpoint("files").url).close()
