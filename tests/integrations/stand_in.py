"""A stand-in for the Telegram Bot API: a real HTTP server on loopback (a thread) that
answers the methods the channel calls and records every call, for tests to read."""

from __future__ import annotations

import itertools
import json
import threading
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOT_TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQKAZXYZwxyz"


def multipart(content_type: str, raw: bytes) -> dict:
    """A multipart/form-data body as {field: text, file field: (name, bytes)}."""
    parsed = BytesParser(policy=default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    body = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            body[name] = (part.get_filename(), part.get_payload(decode=True))
        else:
            body[name] = part.get_payload(decode=True).decode()
    return body


class TelegramStandIn:
    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []  # (token, method, body)
        self.refuse: set[str] = set()  # methods to answer with ok: false
        self._ids = itertools.count(1000)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
                    body = multipart(self.headers["Content-Type"], raw)
                else:
                    body = json.loads(raw or b"{}")
                _, bot, method = self.path.split("/", 2)
                stand_in.calls.append((bot.removeprefix("bot"), method, body))
                if method in stand_in.refuse:
                    answer = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                elif method in ("sendMessage", "sendDocument", "sendPhoto"):
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
