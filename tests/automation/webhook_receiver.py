"""A webhook receiver on loopback: a real HTTP server in a thread that keeps every request's
raw body and headers and answers with the statuses it is told, in turn (the last one
repeats)."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


class Receiver:
    def __init__(self, *statuses: int, body: bytes = b"ok", delay: float = 0.0, headers=None):
        self.statuses = list(statuses) or [200]
        self.answer_body, self.delay = body, delay
        self.answer_headers = headers or {}
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers), raw))
                status = receiver.statuses[min(len(receiver.received), len(receiver.statuses)) - 1]
                time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in receiver.answer_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.answer_body)))
                self.end_headers()
                # The client may stop reading (a capped or timed-out answer).
                with contextlib.suppress(OSError):
                    self.wfile.write(receiver.answer_body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/crm"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
