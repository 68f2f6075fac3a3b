"""Read QR images in tests with zxing-cpp (the engine the scanner page uses in the browser)."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image, ImageDraw

_RECT = re.compile(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z")


def read_png(data: bytes) -> list:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))


def svg_to_image(svg: str, scale: int = 8) -> Image.Image:
    """Rasterise the SVG that qrcode's path factories write (a white rect and one path of
    rectangles) with Pillow: no SVG library needed."""
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    assert box, "no viewBox"
    width, height = float(box.group(1)), float(box.group(2))
    image = Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path[^>]* d="([^"]+)"', svg)
    assert path, "no path"
    rects = _RECT.findall(path.group(1))
    assert rects
    for x1, y1, x2, y2, _x3 in rects:
        draw.rectangle([float(x1) * scale, float(y1) * scale, float(x2) * scale - 1, float(y2) * scale - 1], fill=0)
    return image


def read_svg(svg: str) -> list:
    return zxingcpp.read_barcodes(svg_to_image(svg))
