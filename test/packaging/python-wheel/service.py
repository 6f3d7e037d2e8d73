"""A process service that finds its wiring with rig.wiring.from_env() (from the installed
wheel): it answers with its own name and, when it has an egress "backend", what the
backend answers."""

import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

from rig import wiring

w = wiring.from_env()
name = wiring.service_name()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{name}"
        if "backend" in w.egresses:
            with urllib.request.urlopen(w.egress("backend").url, timeout=5) as response:
                body += " -> " + response.read().decode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


ingress = w.ingress()
HTTPServer((ingress.host, ingress.port), Handler).serve_forever()
