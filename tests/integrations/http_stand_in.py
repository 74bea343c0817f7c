"""What the stand-ins of channels' far ends share: a real HTTP server on loopback (a thread)
that records every request it gets, and reads JSON, form and multipart bodies as a real
API would."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict  # JSON, form fields, or a multipart body's plain fields
    files: dict = field(default_factory=dict)  # {field: (file name, content type, bytes)}


def parse_body(content_type: str, raw: bytes) -> tuple[dict, dict]:
    """(fields, files) of a request body: JSON, urlencoded or multipart/form-data."""
    content_type = content_type or ""
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + raw)
        fields, files = {}, {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = (filename, part.get_content_type(), data)
            else:
                fields[name] = data.decode()
        return fields, files
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode(), keep_blank_values=True)), {}
    return (json.loads(raw) if raw else {}), {}


class RecordingServer:
    """Subclasses answer `handle(call) -> (status, body: dict | bytes, content type)`."""

    def __init__(self):
        self.calls: list[Call] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                body, files = parse_body(self.headers.get("Content-Type", ""), raw)
                call = Call(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    dict(self.headers.items()),
                    body,
                    files,
                )
                server.calls.append(call)
                status, answer, content_type = server.handle(call)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, call: Call):
        raise NotImplementedError

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
