"""The Python SDK with the self-contained rigd on PATH and no Node anywhere
(scripts/test-rigd-binary.sh runs it with PATH holding only the rigd binary)."""
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import rig


def greeter(ctx: rig.FuncContext):
    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    ingress = ctx.wiring.ingress()
    server = ThreadingHTTPServer((ingress.host, ingress.port), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return lambda: (server.shutdown(), server.server_close())


with rig.up({"greeter": rig.func(greeter)}, name="python-binary") as env:
    with urllib.request.urlopen(env.endpoint("greeter").url) as response:
        assert response.read() == b"hello"
print("python SDK: up and down through the rigd binary")
