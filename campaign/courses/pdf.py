"""The PDF engine of certificates and statements: fpdf2 with DejaVu Sans (every Vietnamese glyph),
a QR code (error correction Q) to the public verification page.

``render_statement_pdf(title, lines, ...)`` is the general form (the volunteers' service-hours
statement uses it); ``render_certificate_pdf`` lays out a giấy chứng nhận with it.

The documents are official Vietnamese papers, so their wording is Vietnamese whatever the
interface language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import qrcode
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_Q

from campaign.paths import STATIC_DIR

FONT_DIR = STATIC_DIR / "vendor" / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


# The characters Vietnamese text needs (Latin, Latin Extended Additional, combining marks,
# punctuation, currency). Documents whose text stays inside this set use a cached subset of
# DejaVu Sans (parsed ~10 times faster); any other text uses the full font.
SUBSET_RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F),
                 (0x20A0, 0x20BF), (0x2190, 0x2193), (0x2022, 0x2022)]
SUBSET_CODEPOINTS = frozenset(cp for lo, hi in SUBSET_RANGES for cp in range(lo, hi + 1))
_subset_cache: dict[str, Path] = {}


class FontMissing(RuntimeError):
    pass


def _subset_font(path: Path) -> Path:
    """A copy of the font reduced to SUBSET_CODEPOINTS, made once per process in the temp folder."""
    if path.name in _subset_cache and _subset_cache[path.name].exists():
        return _subset_cache[path.name]
    import hashlib
    import os
    import tempfile

    from fontTools import subset

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"campaign-{path.stem}-vi-{digest}.ttf"
    if not out.exists():
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]
        font = subset.load_font(str(path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(SUBSET_CODEPOINTS))
        subsetter.subset(font)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        subset.save_font(font, str(tmp), options)
        os.replace(tmp, out)  # atomic: concurrent workers never read half a file
    _subset_cache[path.name] = out
    return out


def _font_files(texts) -> tuple[Path, Path]:
    if all(ord(ch) in SUBSET_CODEPOINTS or ch in "\n\t" for text in texts for ch in text):
        return _subset_font(FONT_REGULAR), _subset_font(FONT_BOLD)
    return FONT_REGULAR, FONT_BOLD


def qr_png(url: str, box_size: int = 8) -> bytes:
    """A PNG of the QR code of ``url`` (error correction Q: survives stains on paper)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=box_size, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _pdf(orientation: str, texts) -> FPDF:
    if not FONT_REGULAR.exists() or not FONT_BOLD.exists():
        raise FontMissing(f"DejaVu Sans not found in {FONT_DIR}: run `make setup` (npm ci and scripts/vendor.mjs)")
    regular, bold = _font_files(texts)
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_creator("Bình dân học vụ số")
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, size: float, bold: bool = False, align: str = "C", gap: float = 2) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    pdf.image(io.BytesIO(qr_png(url)), x=x, y=y, w=size, h=size)


def render_statement_pdf(title: str, lines: list[str], *, issuing_unit: str = "", number: str = "",
                         place_date: str = "", signer: str = "", qr_url: str | None = None,
                         subtitle: str = "") -> bytes:
    """A one-page statement (portrait A4): the national heading, the issuing unit, a title, the
    lines of text, the place and date, the signer and an optional QR code to ``qr_url``."""
    texts = [title, subtitle, issuing_unit, number, place_date, signer, qr_url or "", NATION, MOTTO, *lines]
    pdf = _pdf("P", [title.upper(), *texts])
    pdf.set_title(title)
    if issuing_unit:
        _line(pdf, issuing_unit, 11, bold=True, gap=1)
    _line(pdf, NATION, 11, bold=True, gap=0)
    _line(pdf, MOTTO, 11, gap=6)
    _line(pdf, title.upper(), 16, bold=True, gap=2)
    if subtitle:
        _line(pdf, subtitle, 11, gap=2)
    if number:
        _line(pdf, f"Số: {number}", 10, gap=4)
    for text in lines:
        _line(pdf, text, 11, align="L", gap=1.5)
    pdf.ln(4)
    if place_date:
        _line(pdf, place_date, 11, align="R", gap=1)
    if signer:
        _line(pdf, signer, 11, bold=True, align="R", gap=1)
    if qr_url:
        y = pdf.h - 15 - 35
        _qr(pdf, qr_url, pdf.l_margin, y, 30)
        pdf.set_xy(pdf.l_margin + 33, y + 10)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(120, 4, f"Tra cứu: {qr_url}", align="L")
    return bytes(pdf.output())


@dataclass
class CertificateFacts:
    number: str
    learner_name: str
    course_title: str
    starts_on: date
    ends_on: date
    issuing_unit: str
    issued_on: date
    verify_url: str


def certificate_lines(facts: CertificateFacts) -> list[str]:
    """The certificate's text, in reading order (the test compares pdftotext's output with it)."""
    return [
        facts.issuing_unit,
        NATION,
        MOTTO,
        "GIẤY CHỨNG NHẬN",
        "Chứng nhận Ông/Bà",
        facts.learner_name,
        "Đã hoàn thành khóa học",
        facts.course_title,
        f"Thời gian học: từ ngày {facts.starts_on:%d/%m/%Y} đến ngày {facts.ends_on:%d/%m/%Y}",
        f"Ngày cấp: {facts.issued_on:%d/%m/%Y}",
        f"Số: {facts.number}",
        f"Tra cứu: {facts.verify_url}",
    ]


def render_certificate_pdf(facts: CertificateFacts) -> bytes:
    """A giấy chứng nhận on landscape A4."""
    text = certificate_lines(facts)
    pdf = _pdf("L", text)
    pdf.set_title(f"Giấy chứng nhận {facts.number}")
    pdf.set_draw_color(11, 94, 215)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_y(16)
    _line(pdf, text[0], 12, bold=True, gap=1)
    _line(pdf, text[1], 12, bold=True, gap=0)
    _line(pdf, text[2], 12, gap=8)
    _line(pdf, text[3], 26, bold=True, gap=6)
    _line(pdf, text[4], 13, gap=1)
    _line(pdf, text[5], 20, bold=True, gap=4)
    _line(pdf, text[6], 13, gap=1)
    _line(pdf, text[7], 15, bold=True, gap=4)
    _line(pdf, text[8], 12, gap=1)
    _line(pdf, text[9], 12, gap=1)
    _line(pdf, text[10], 12, bold=True, gap=1)
    size = 34
    y = pdf.h - 14 - size
    _qr(pdf, facts.verify_url, pdf.w - 14 - size, y, size)
    pdf.set_xy(14, y + size - 6)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(pdf.w - 28 - size - 4, 4, text[11], align="L")
    return bytes(pdf.output())
