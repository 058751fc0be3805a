"""Loopback servers the notification tests send to: a real SMTP server (aiosmtpd) and a small
fake of the Telegram Bot API's sendMessage (a threaded http.server)."""

from __future__ import annotations

import asyncio
import email
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpRecorder:
    """aiosmtpd handler: keeps every accepted message; can refuse (4xx/5xx) the next N."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refusals: list[str] = []  # answers to the next DATA commands, in order
        self.stall = threading.Event()  # set: DATA is held (a server that hangs mid-send)
        self.stalled = threading.Event()  # set by the handler once a DATA is being held
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        while self.stall.is_set():
            self.stalled.set()
            await asyncio.sleep(0.05)
        if server.transport is None or server.transport.is_closing():
            return "421 4.4.2 the client went away"  # never accepted: nothing recorded
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            message = email.message_from_bytes(envelope.content, policy=default)
            assert isinstance(message, EmailMessage)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 2.0.0 OK: queued"


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpRecorder, int]]:
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        recorder.stall.clear()
        controller.stop()


class FakeTelegram:
    """The Bot API's `POST /bot<token>/sendMessage` as documented: `{"ok": true, "result":
    Message}`; `answers` queue error replies (status, body) for the next calls."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.chat_answers: dict[str, tuple[int, dict[str, Any]]] = {}  # always, for that chat
        self.calls = 0
        self.lock = threading.Lock()

    def answer(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if path != f"/bot{self.token}/sendMessage":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        with self.lock:
            self.calls += 1
            if self.answers:
                return self.answers.pop(0)
            request = json.loads(body)
            if str(request.get("chat_id")) in self.chat_answers:
                return self.chat_answers[str(request["chat_id"])]
            if "chat_id" not in request or not request.get("text"):
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request"}
            message = {
                "message_id": len(self.messages) + 1,
                "date": int(time.time()),
                "chat": {"id": request["chat_id"], "type": "group"},
                "text": request["text"],
            }
            self.messages.append(message)
            return 200, {"ok": True, "result": message}


def telegram_error(status: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


@contextmanager
def telegram_server(token: str) -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram(token)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = fake.answer(self.path, self.rfile.read(length))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
