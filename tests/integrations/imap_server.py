"""A real IMAP server on loopback for the email channel: pymap (pure Python, its in-memory
"dict" backend) in a child process, one mailbox user. Mail arrives in it the way a mail
server delivers it to a mailbox, by IMAP APPEND (pipelined with LITERAL+, so thousands go in
quickly for the bench); the tests read flags back to check that polling marks nothing seen.
"""

from __future__ import annotations

import imaplib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

USER, PASSWORD = "support@shop.example", "imap-secret-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class IMAPServer:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> IMAPServer:
        code = "from pymap.main import main; main()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, "--host", "127.0.0.1", "--port", str(self.port),
             "--no-tls", "dict", "--demo-user", USER, "--demo-password", PASSWORD],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("pymap exited at start") from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("pymap did not start in 30 s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def settings(self, **extra) -> dict:
        """The channel's settings for this server (and an SMTP server given in `extra`)."""
        return {
            "from_address": USER, "from_name": "Shop support",
            "imap_host": "127.0.0.1", "imap_port": self.port, "imap_security": "none",
            "imap_user": USER, "imap_password": PASSWORD,
            "smtp_host": "127.0.0.1", "smtp_port": 25, "smtp_security": "none",
            **extra,
        }  # fmt: skip

    # --- the mailbox, through IMAP -----------------------------------------------------

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, *mails: bytes, folder: str = "INBOX") -> None:
        """Deliver mails into a folder: APPENDs pipelined with LITERAL+ (one round trip)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = sock.makefile("rb")
            reader.readline()
            sock.sendall(f"a LOGIN {USER} {PASSWORD}\r\n".encode())
            while not reader.readline().startswith(b"a "):
                pass
            for start in range(0, len(mails), 500):
                batch = mails[start : start + 500]
                out = bytearray()
                for i, mail in enumerate(batch):
                    out += b"p%d APPEND %s {%d+}\r\n" % (i, folder.encode(), len(mail))
                    out += mail + b"\r\n"
                sock.sendall(bytes(out))
                done = 0
                while done < len(batch):
                    line = reader.readline()
                    if not line:
                        raise RuntimeError("the IMAP server closed the connection")
                    if re.match(rb"p\d+ ", line):
                        if b" OK" not in line:
                            raise RuntimeError(line.decode(errors="replace"))
                        done += 1
            sock.sendall(b"z LOGOUT\r\n")

    def flags(self, folder: str = "INBOX") -> list[str]:
        client = self.client()
        try:
            client.select(folder, readonly=True)
            _typ, data = client.fetch("1:*", "(FLAGS)")
            return [d.decode() for d in data if d]
        finally:
            client.logout()

    def recreate(self, folder: str) -> None:
        """Delete and create the folder again: it gets a new UIDVALIDITY, its mail is gone."""
        client = self.client()
        try:
            client.delete(folder)
            client.create(folder)
        finally:
            client.logout()

    def create(self, folder: str) -> None:
        client = self.client()
        try:
            client.create(folder)
        finally:
            client.logout()


def mail(
    number: int = 1,
    *,
    sender: str = "Ivan Petrov <ivan@client.example>",
    subject: str = "Order question",
    text: str = "Hello! Where is my order?",
    html: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict | None = None,
    files: tuple = (),
    to: str = USER,
) -> bytes:
    """An email as a client's mail program writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 11, 2, 9, 0, number % 60, tzinfo=UTC))
    if message_id != "":
        message["Message-ID"] = f"<{message_id or f'm{number}@client.example'}>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
