"""QR images of ticket codes: PNG (Pillow) and SVG, error correction Q, a 4-module quiet zone.

Codes are upper-case base32, so they are encoded in QR alphanumeric mode (5.5 bits a character).
Level Q keeps a ticket readable with a quarter of it stained or folded.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData

QUIET_ZONE = 4


def _qr(text: str, box_size: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_Q, box_size=box_size, border=QUIET_ZONE)
    mode = MODE_ALPHA_NUM if all(c in qrcode.util.ALPHA_NUM.decode() for c in text) else MODE_8BIT_BYTE
    qr.add_data(QRData(text.encode("ascii") if mode == MODE_ALPHA_NUM else text.encode("utf-8"), mode=mode))
    qr.make(fit=True)
    return qr


def png(text: str, box_size: int = 8) -> bytes:
    image = _qr(text, box_size).make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def svg(text: str, box_size: int = 10) -> str:
    """A standalone SVG (a single path, white background) that scales to any size."""
    image = _qr(text, box_size).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    data = image.to_string(encoding="unicode")
    return data


def version(text: str) -> int:
    return _qr(text).version
