"""Fixtures for messages: a real local SMTP server (aiosmtpd) and local HTTP gateways (SMS, Zalo)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

MESSAGE_SETTINGS = ("MESSAGES_SMTP_URL", "MESSAGES_EMAIL_FROM", "MESSAGES_SMS_URL", "MESSAGES_SMS_API_KEY",
                    "MESSAGES_SMS_BRAND", "MESSAGES_ZALO_URL", "MESSAGES_ZALO_ACCESS_TOKEN", "MESSAGES_ZALO_TEMPLATES",
                    "MESSAGES_BASE_URL", "MESSAGES_REQUEST_LIMIT", "MESSAGES_LEASE_SECONDS", "MESSAGES_MAX_ATTEMPTS",
                    "MESSAGES_REMINDERS_EVENT", "MESSAGES_REMINDERS_SESSION", "MESSAGES_REMINDERS_SHIFT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _message_settings(app):
    """Each test starts with no channel configured (the dev channel) and leaves none behind."""
    saved = {k: app.config.get(k) for k in MESSAGE_SETTINGS}
    for k in MESSAGE_SETTINGS:
        app.config.pop(k, None)
    app.config["MESSAGES_BASE_URL"] = "http://campaign.test/"
    app.config["MESSAGES_REQUEST_LIMIT"] = "10000 per minute"
    yield
    for k, v in saved.items():
        if v is None:
            app.config.pop(k, None)
        else:
            app.config[k] = v


class Mailbox:
    """What arrived at the SMTP server, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.arrived = threading.Condition()
        self.hold = None  # a threading.Event: the server holds DATA until it is set, then refuses it
        self.holding = threading.Event()  # set when a DATA is being held
        self.reject_next: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.hold is not None:
            import asyncio

            hold = self.hold
            self.holding.set()
            while not hold.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 try again later"  # never accepted: the client died meanwhile
        if self.reject_next:
            answer, self.reject_next = self.reject_next, None
            return answer
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.envelopes.append(envelope)
            self.messages.append(msg)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, n: int, timeout: float = 10) -> list:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= n, timeout=timeout)
        return list(self.messages)

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def mailbox(app):
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["MESSAGES_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    app.config["MESSAGES_EMAIL_FROM"] = "Bình dân học vụ số <no-reply@binhdan.test>"
    box.port = port
    yield box
    if box.hold is not None:
        box.hold.set()
    controller.stop()


class Gateway:
    """A local HTTP gateway answering from a script: a list of (status, JSON) popped per request
    (the last one repeats). Requests are recorded; with ``dedupe`` a repeated request id is
    answered like the first without counting twice (as SMS gateways do)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict]] = [(200, {"id": "ok-1"})]
        self.seen: dict[str, tuple[int, dict]] = {}
        self.delivered: list[dict] = []  # accepted, once per request id
        self.lock = threading.Lock()
        self.hold = None  # a threading.Event: accept, then hold the answer until it is set
        self.holding = threading.Event()

    def answer(self, body: dict, headers) -> tuple[int, dict]:
        request_id = body.get("request_id") or body.get("tracking_id")
        with self.lock:
            self.requests.append({"body": body, "headers": dict(headers)})
            if request_id and request_id in self.seen:
                return self.seen[request_id]  # a repeat of an accepted request: not delivered twice
            status, answer = self.script.pop(0) if len(self.script) > 1 else self.script[0]
            if 200 <= status < 300 and answer.get("error", 0) in (0, "0"):
                self.delivered.append(body)
                if request_id:
                    self.seen[request_id] = (status, answer)
        if self.hold is not None:
            self.holding.set()
            self.hold.wait(30)
        return status, answer


@pytest.fixture
def gateway():
    gw = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length).decode() or "{}")
            status, answer = gw.answer(body, self.headers)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gw.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    yield gw
    server.shutdown()
    server.server_close()
