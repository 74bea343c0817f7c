"""Stand-ins for the telephony providers' REST APIs: one real HTTP server on loopback (a
thread) answering what the Twilio and Zadarma channels call (credentials, webhook set-up,
placing calls, recordings), checking their credentials as the providers do, and recording
every request for tests to read. It also serves the recordings: a small audio file."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from integrations.channels import zadarma

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token-0123456789abcdef"
TWILIO_NUMBER = "+15005550006"
ZADARMA_KEY = "zadarma-key-0123456789"
ZADARMA_SECRET = "zadarma-secret-0123456789"
# A tiny MPEG audio file: an ID3 header and one silent frame's worth of bytes.
AUDIO = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(413)


class PhoneStandIn:
    def __init__(self):
        self.requests: list[dict] = []  # {method, path, query, form, headers}
        self.audio = AUDIO
        self._ids = itertools.count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body, content_type="application/json"):
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                form = dict(parse_qsl(body, keep_blank_values=True))
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                seen = {
                    "method": method,
                    "path": parts.path,
                    "query": query,
                    "form": form,
                    "headers": dict(self.headers),
                }
                stand_in.requests.append(seen)
                if parts.path.startswith("/2010-04-01/"):
                    return self._twilio(method, parts.path, form)
                if parts.path.startswith("/v1/"):
                    return self._zadarma(method, parts.path, query if method == "GET" else form)
                if parts.path.startswith("/files/"):
                    return self._answer(200, stand_in.audio, "audio/mpeg")
                return self._answer(404, {"message": "not found"})

            def _twilio(self, method, path, form):
                expected = (
                    "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
                )
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                account = f"/2010-04-01/Accounts/{TWILIO_SID}"
                if path == f"{account}.json":
                    return self._answer(200, {"sid": TWILIO_SID, "status": "active"})
                if path == f"{account}/IncomingPhoneNumbers.json":
                    return self._answer(
                        200,
                        {
                            "incoming_phone_numbers": [
                                {"sid": "PN0001", "phone_number": TWILIO_NUMBER}
                            ]
                        },
                    )
                if path == f"{account}/IncomingPhoneNumbers/PN0001.json" and method == "POST":
                    return self._answer(200, {"sid": "PN0001", **form})
                if path == f"{account}/Calls.json" and method == "POST":
                    sid = f"CA{next(stand_in._ids):032d}"
                    return self._answer(201, {"sid": sid, "status": "queued"})
                if path.startswith(f"{account}/Recordings/") and path.endswith(".mp3"):
                    return self._answer(200, stand_in.audio, "audio/mpeg")
                return self._answer(404, {"message": "The requested resource was not found"})

            def _zadarma(self, method, path, params):
                key, _colon, _sign = (self.headers.get("Authorization") or "").partition(":")
                expected = zadarma.api_authorization(ZADARMA_KEY, ZADARMA_SECRET, path, params)
                if key != ZADARMA_KEY or self.headers.get("Authorization") != expected:
                    return self._answer(401, {"status": "error", "message": "Not authorized"})
                if path == "/v1/pbx/record/request/":
                    host, port = stand_in.server.server_address[:2]
                    link = f"http://{host}:{port}/files/{params.get('call_id')}.mp3"
                    return self._answer(
                        200,
                        {"status": "success", "link": link, "lifetime_till": "2030-01-01 00:00:00"},
                    )
                if path in (
                    "/v1/info/balance/",
                    "/v1/pbx/callinfo/url/",
                    "/v1/pbx/callinfo/notifications/",
                    "/v1/request/callback/",
                ):
                    return self._answer(200, {"status": "success", **params})
                return self._answer(404, {"status": "error", "message": "unknown method"})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> PhoneStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def seen(self, path_end: str, method: str | None = None) -> list[dict]:
        return [
            r
            for r in self.requests
            if r["path"].endswith(path_end) and (method is None or r["method"] == method)
        ]
