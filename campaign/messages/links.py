"""Absolute links for messages (they are read outside the site) and signed links (unsubscribe)."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from campaign.messages.channels import setting

UNSUBSCRIBE_MAX_AGE = 366 * 24 * 3600


def base_url() -> str:
    """``MESSAGES_BASE_URL`` (the public address of the site), else the current request's."""
    base = setting("MESSAGES_BASE_URL")
    if not base and has_request_context():
        base = request.url_root
    return (base or "http://localhost:5000/").rstrip("/") + "/"


_adapters: dict = {}


def absolute(endpoint: str, **values) -> str:
    from urllib.parse import urlsplit

    base = base_url()
    key = (id(current_app._get_current_object()), base)
    adapter = _adapters.get(key)
    if adapter is None:
        parts = urlsplit(base)
        adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                           url_scheme=parts.scheme or "http")
        _adapters[key] = adapter
    return adapter.build(endpoint, values, force_external=True)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="messages.unsubscribe")


def unsubscribe_token(recipient: str, kind: str) -> str:
    return _serializer().dumps([recipient, kind])


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    try:
        recipient, kind = _serializer().loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    return str(recipient), str(kind)


def unsubscribe_url(recipient: str, kind: str) -> str:
    return absolute("messages.unsubscribe", token=unsubscribe_token(recipient, kind))
