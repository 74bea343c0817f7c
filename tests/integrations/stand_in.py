"""A stand-in for the Telegram Bot API: a real HTTP server on loopback (a thread) that
answers the methods the channel calls and records every call, for tests to read."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .http_stand_in import parse_body

BOT_TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQKAZXYZwxyz"


class TelegramStandIn:
    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []  # (token, method, body)
        self.refuse: set[str] = set()  # methods to answer with ok: false
        self.files: dict[str, bytes] = {}  # file_id -> the bytes getFile and the download give
        self._ids = itertools.count(1000)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                # JSON, or a multipart upload (sendPhoto, sendDocument): its fields, and
                # its files under "files" as (name, content type, bytes).
                body, files = parse_body(self.headers.get("Content-Type", ""), raw)
                if files:
                    body = {**body, "files": files}
                _, bot, method = self.path.split("/", 2)
                stand_in.calls.append((bot.removeprefix("bot"), method, body))
                if method in stand_in.refuse:
                    answer = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                elif method == "getFile" and body.get("file_id") in stand_in.files:
                    path = f"documents/{body['file_id']}.bin"
                    answer = {"ok": True, "result": {"file_id": body["file_id"],
                                                     "file_path": path}}  # fmt: skip
                elif method == "getFile":
                    answer = {"ok": False, "error_code": 400,
                              "description": "Bad Request: invalid file_id"}  # fmt: skip
                elif method in ("sendPhoto", "sendDocument"):
                    sent = {"message_id": next(stand_in._ids), "chat": {"id": body.get("chat_id")}}
                    answer = {"ok": True, "result": sent}
                elif method == "sendMessage":
                    answer = {"ok": True, "result": {"message_id": next(stand_in._ids),
                                                     "chat": {"id": body.get("chat_id")},
                                                     "text": body.get("text")}}  # fmt: skip
                else:
                    answer = {"ok": True, "result": True, "description": "Webhook was set"}
                raw = json.dumps(answer).encode()
                self.send_response(200 if answer["ok"] else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                # A file's download: /file/bot<token>/documents/<file id>.bin
                prefix = f"/file/bot{BOT_TOKEN}/documents/"
                file_id = self.path.removeprefix(prefix).removesuffix(".bin")
                data = stand_in.files.get(file_id) if self.path.startswith(prefix) else None
                self.send_response(200 if data else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TelegramStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def called(self, method: str) -> list[dict]:
        return [body for _, m, body in self.calls if m == method]


def update(
    update_id: int,
    chat_id: int = 4242,
    text: str = "Hello!",
    *,
    message_id=None,
    username: str = "ivan_client",
    first_name: str = "Ivan",
    date: int = 1767225600,
):
    """A Telegram update carrying a private text message, as the Bot API sends it."""
    sender = {"id": chat_id, "is_bot": False, "first_name": first_name, "username": username}
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id if message_id is not None else update_id,
            "from": sender,
            "chat": {"id": chat_id, "type": "private", "first_name": first_name,
                     "username": username},
            "date": date,
            "text": text,
        },
    }  # fmt: skip
