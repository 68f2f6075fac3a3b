"""The channels a message can go out on, each behind one small interface, configured from the
environment (or the app's config, which wins):

- ``email``: SMTP. ``MESSAGES_SMTP_URL`` = ``smtp://user:password@host:587?starttls=1`` (or ``smtps://``
  for implicit TLS), ``MESSAGES_EMAIL_FROM`` = ``"Bình dân học vụ số <no-reply@example.vn>"``.
- ``sms``: an HTTP gateway. ``MESSAGES_SMS_URL``, ``MESSAGES_SMS_API_KEY``, ``MESSAGES_SMS_BRAND`` (the
  registered brand name shown as sender). The text is sent unaccented (Vietnamese gateways' convention:
  GSM-7, 160 characters a segment); the segment count is recorded.
- ``zalo``: Zalo Notification Service template messages. ``MESSAGES_ZALO_URL`` (default Zalo's
  ``https://business.openapi.zalo.me/message/template``), ``MESSAGES_ZALO_ACCESS_TOKEN``,
  ``MESSAGES_ZALO_TEMPLATES`` = JSON ``{"<template>": "<ZNS template id>", ...}`` (a message whose
  template has no approved ZNS template falls back to the next channel).
- ``dev``: prints the message to the log (the default when nothing is configured).

``send(outgoing)`` returns a :class:`Sent` or raises :class:`TemporaryError` (retried with backoff) or
:class:`PermanentError` (the message fails with the reason).
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import threading
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

TIMEOUT = 20  # seconds for one SMTP or HTTP exchange (well under the claim's lease)


class TemporaryError(Exception):
    """Try again later (the provider is down, busy, or answered 5xx/429)."""


class PermanentError(Exception):
    """Do not try again (the address is invalid, the template refused...)."""


@dataclass
class Outgoing:
    """A rendered message, ready for a channel."""

    key: str  # the idempotency key, the same on every attempt
    address: str
    subject: str
    text: str
    html: str = ""
    sms: str = ""  # the short text for SMS (accents are removed by the channel)
    template: str = ""
    params: dict = field(default_factory=dict)  # for template channels (Zalo)
    headers: dict = field(default_factory=dict)  # e.g. List-Unsubscribe


@dataclass
class Sent:
    provider_id: str = ""
    segments: int | None = None


def setting(name: str, default: str = "") -> str:
    if has_app_context():
        value = current_app.config.get(name)
        if value not in (None, ""):
            return str(value)
    return os.environ.get(name, default) or default


# --- text helpers ------------------------------------------------------------------------------

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = set("^{}\\[~]|€")


def unaccent(text: str) -> str:
    """Vietnamese without diacritics, case kept: 'Đồng Nai' -> 'Dong Nai' (what SMS gateways expect)."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).replace("\u2013", "-").replace("\u2014", "-") \
        .replace("\u2026", "...").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` takes: GSM-7 160 (153 a part when split), else UCS-2 70 (67)."""
    if all(ch in GSM7 or ch in GSM7_EXT for ch in text):
        units = sum(2 if ch in GSM7_EXT else 1 for ch in text)
        return 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


# --- the channels ------------------------------------------------------------------------------

class Channel:
    name = ""

    def configured(self) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def accepts(self, address: str, template: str) -> bool:
        return bool(address)

    def send(self, out: Outgoing) -> Sent:  # pragma: no cover - interface
        raise NotImplementedError


class DevChannel(Channel):
    """Prints each message (development, and any set-up without a real channel)."""

    name = "dev"

    def configured(self) -> bool:
        return True

    def send(self, out: Outgoing) -> Sent:
        print(f"--- message {out.key} to {out.address}\nSubject: {out.subject}\n\n{out.text}\n---", flush=True)
        return Sent(provider_id=f"dev-{out.key}")


class EmailChannel(Channel):
    name = "email"

    def configured(self) -> bool:
        return bool(setting("MESSAGES_SMTP_URL"))

    def accepts(self, address: str, template: str) -> bool:
        return "@" in (address or "")

    def build(self, out: Outgoing) -> EmailMessage:
        sender = setting("MESSAGES_EMAIL_FROM", "Bình dân học vụ số <no-reply@localhost>")
        name, addr = parseaddr(sender)
        msg = EmailMessage()
        msg["From"] = formataddr((name, addr)) if name else addr
        msg["To"] = Address(addr_spec=out.address)
        msg["Subject"] = out.subject
        domain = addr.rsplit("@", 1)[-1] or "localhost"
        # The same Message-ID on every attempt: receiving systems can drop a duplicate of a retry.
        msg["Message-ID"] = f"<{_digest(out.key)}.outbox@{domain}>"
        for k, v in out.headers.items():
            msg[k] = v
        msg.set_content(out.text)
        if out.html:
            msg.add_alternative(out.html, subtype="html")
        return msg

    _local = threading.local()

    def _connect(self):
        """One SMTP connection per worker thread, kept across the messages of a delivery run
        (:func:`close`), opened again when the server dropped it."""
        url_text = setting("MESSAGES_SMTP_URL")
        held = getattr(self._local, "smtp", None)
        if held is not None and held[0] == url_text:
            return held[1]
        self.close()
        url = urlsplit(url_text)
        if url.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=TIMEOUT,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(url.hostname, url.port or 25, timeout=TIMEOUT)
        if "starttls=1" in (url.query or ""):
            smtp.starttls(context=ssl.create_default_context())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        self._local.smtp = (url_text, smtp)
        return smtp

    def close(self) -> None:
        held = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if held is not None:
            try:
                held[1].quit()
            except (OSError, smtplib.SMTPException):
                held[1].close()

    def send(self, out: Outgoing) -> Sent:
        msg = self.build(out)
        try:
            try:
                refused = self._connect().send_message(msg)
            except smtplib.SMTPServerDisconnected:  # a kept connection timed out: once more, afresh
                self.close()
                refused = self._connect().send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"recipient refused: {_smtp_reason(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            reason = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(reason) from exc
            raise TemporaryError(reason) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryError(f"SMTP: {exc}") from exc
        if refused:
            raise PermanentError(f"recipient refused: {_smtp_reason(refused)}")
        return Sent(provider_id=msg["Message-ID"].strip("<>"))


def _smtp_reason(recipients: dict) -> str:
    parts = []
    for addr, (code, text) in recipients.items():
        parts.append(f"{addr}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}")
    return "; ".join(parts)


def _digest(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _post_json(url: str, payload: dict, headers: dict) -> tuple[int, dict]:
    """POST JSON; returns (HTTP status, JSON answer). Network trouble is a TemporaryError."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8", **headers})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - configured https URL
            status, body = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (OSError, ValueError) as exc:
        raise TemporaryError(f"HTTP: {exc}") from exc
    try:
        answer = json.loads(body.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        answer = {"raw": body[:200].decode(errors="replace")}
    return status, answer if isinstance(answer, dict) else {"raw": str(answer)[:200]}


class SmsChannel(Channel):
    """A generic HTTP SMS gateway: ``POST {to, brand, text, request_id}`` with ``Authorization: Bearer``.
    2xx with ``{"id": ...}`` is sent; 429 and 5xx are temporary; other 4xx permanent (``error`` is the
    reason). ``request_id`` is the message's key: a gateway drops a repeated request (a retry after a
    worker died between the gateway's answer and our record of it)."""

    name = "sms"

    def configured(self) -> bool:
        return bool(setting("MESSAGES_SMS_URL"))

    def accepts(self, address: str, template: str) -> bool:
        return (address or "").startswith("+")

    def send(self, out: Outgoing) -> Sent:
        text = unaccent(out.sms or out.text)
        segments = sms_segments(text)
        status, answer = _post_json(setting("MESSAGES_SMS_URL"), {
            "to": out.address, "brand": setting("MESSAGES_SMS_BRAND", "BINHDANHVS"), "text": text,
            "unicode": False, "request_id": out.key,
        }, {"Authorization": "Bearer " + setting("MESSAGES_SMS_API_KEY")})
        if 200 <= status < 300:
            return Sent(provider_id=str(answer.get("id") or answer.get("message_id") or "")[:120], segments=segments)
        reason = f"{status} {answer.get('error') or answer.get('message') or answer.get('raw') or ''}".strip()
        if status == 429 or status >= 500:
            raise TemporaryError(reason)
        raise PermanentError(reason)


# ZNS error codes worth a retry: rate limits and Zalo's own trouble (others: the template, the phone...).
ZNS_TEMPORARY = {-32, -100, -1, -124}


class ZaloChannel(Channel):
    """Zalo ZNS: ``POST {phone: "84...", template_id, template_data, tracking_id}`` with the OA's
    ``access_token`` header. ``{"error": 0, "data": {"msg_id"}}`` is sent."""

    name = "zalo"

    def templates(self) -> dict:
        try:
            value = json.loads(setting("MESSAGES_ZALO_TEMPLATES", "{}"))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def configured(self) -> bool:
        return bool(setting("MESSAGES_ZALO_ACCESS_TOKEN"))

    def accepts(self, address: str, template: str) -> bool:
        return (address or "").startswith("+84") and template in self.templates()

    def send(self, out: Outgoing) -> Sent:
        template_id = self.templates().get(out.template)
        if not template_id:
            raise PermanentError(f"no ZNS template for {out.template}")
        url = setting("MESSAGES_ZALO_URL", "https://business.openapi.zalo.me/message/template")
        data = {k: (str(v)[:100] if v is not None else "") for k, v in out.params.items()}
        status, answer = _post_json(url, {"phone": out.address.lstrip("+"), "template_id": str(template_id),
                                          "template_data": data, "tracking_id": out.key[:48]},
                                    {"access_token": setting("MESSAGES_ZALO_ACCESS_TOKEN")})
        error = answer.get("error")
        if status == 429 or status >= 500:
            raise TemporaryError(f"{status} {answer.get('message', '')}".strip())
        if 200 <= status < 300 and error in (0, "0"):
            return Sent(provider_id=str((answer.get("data") or {}).get("msg_id") or "")[:120])
        reason = f"ZNS {error}: {answer.get('message', '')}".strip()
        try:
            code = int(error)
        except (TypeError, ValueError):
            code = None
        if code in ZNS_TEMPORARY:
            raise TemporaryError(reason)
        raise PermanentError(reason if error is not None else f"{status} {answer}")


CHANNELS: dict[str, Channel] = {c.name: c for c in (EmailChannel(), ZaloChannel(), SmsChannel(), DevChannel())}


def get(name: str) -> Channel:
    return CHANNELS[name]


def close_all() -> None:
    """End the connections kept during a delivery run."""
    for channel in CHANNELS.values():
        close = getattr(channel, "close", None)
        if close is not None:
            close()


def configured() -> list[str]:
    """The configured real channels, in the default order of preference (dev when none)."""
    names = [n for n in ("email", "zalo", "sms") if CHANNELS[n].configured()]
    return names or ["dev"]
