"""Security headers on every response: a Content-Security-Policy (scripts only from our own origin,
no inline script, WebAssembly allowed for the QR decoder), no framing, no MIME sniffing, no referrer
outside the site (private links carry tokens), and the camera only for our own pages.

``CONTENT_SECURITY_POLICY`` in the config replaces the policy ("" turns it off). A view that sets its
own header keeps it.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

DEFAULT_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",  # no inline script; the zxing decoder compiles its .wasm
    "style-src 'self' 'unsafe-inline'",  # style attributes in templates and charts
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    policy = current_app.config.get("CONTENT_SECURITY_POLICY", DEFAULT_POLICY)
    if policy and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = policy
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
