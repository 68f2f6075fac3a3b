"""Subscription links for a feed's https URL: webcal, Google Calendar, Outlook (personal and work or
school accounts), and a QR code."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote, urlsplit, urlunsplit

import qrcode
import qrcode.image.svg


def webcal(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("webcal", parts.netloc, parts.path, parts.query, ""))


def google(url: str) -> str:
    return "https://calendar.google.com/calendar/render?cid=" + quote(webcal(url), safe="")


def outlook(url: str, name: str, host: str = "outlook.live.com") -> str:
    """Outlook's "subscribe from web": ``outlook.live.com`` for personal (Microsoft) accounts,
    ``outlook.office.com`` for work or school (Microsoft 365) accounts."""
    return (f"https://{host}/calendar/0/addfromweb?url=" + quote(url, safe="")
            + "&name=" + quote(name, safe=""))


def qr_svg(url: str) -> str:
    """An inline SVG QR code (error correction Q) of the https address, for phones: Android's camera
    opens https links but not webcal:// ones; iOS offers to subscribe from an https .ics as well."""
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage,
                      error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4, box_size=8)
    buf = BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode()
    return svg[svg.index("<svg"):]


def subscribe_links(url: str, name: str) -> dict:
    return {"https": url, "webcal": webcal(url), "google": google(url), "outlook": outlook(url, name),
            "outlook_work": outlook(url, name, "outlook.office.com"),
            "qr_svg": qr_svg(url), "name": name}
