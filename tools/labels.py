"""Device labels: geometry in millimetres and PDF drawing with reportlab.

No Odoo here: the model gathers the label texts and calls :func:`render_labels`.
Everything is drawn as vectors: python-barcode encodes the Code 128 and
:class:`ReportlabWriter` draws its bars as rectangles; the QR code's dark modules are
rectangles too, so labels stay sharp on 203 dpi thermal printers. Texts are drawn with
TrueType fonts from Debian packages, embedded (as subsets) in the PDF: a reader without the
font still shows every character.
"""

import functools
import io
import ipaddress
import os
from collections import namedtuple
from urllib.parse import urlsplit

import qrcode
from barcode.codex import Code128
from barcode.writer import BaseWriter
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas

# A sheet of labels: page size, label size, grid and the page margins (all mm).
LabelFormat = namedtuple(
    "LabelFormat",
    "page_width page_height label_width label_height columns rows margin_left margin_top",
)

LABEL_FORMATS = {
    # Thermal roll, landscape, one label a page.
    "roll_62x29": LabelFormat(62.0, 29.0, 62.0, 29.0, 1, 1, 0.0, 0.0),
    # A4 sheet of 24 labels of 70 × 37 mm: 3 × 70 = 210 mm wide, 8 × 37 = 296 mm high,
    # the remaining millimetre split between top and bottom.
    "a4_3x8": LabelFormat(210.0, 297.0, 70.0, 37.0, 3, 8, 0.0, 0.5),
}

# What one label shows; the texts come ready to print (translated, with their captions).
LabelData = namedtuple("LabelData", "barcode url company model serial phone")

# A box on a label or page: x, y of its lower-left corner, width, height (mm).
Box = namedtuple("Box", "x y width height")

# Narrowest bar a 203 dpi thermal head prints reliably (1.5 dots), and the widest we use.
MIN_MODULE_MM = 0.19
MAX_MODULE_MM = 0.33
# Code 128 asks for a quiet zone of ten modules on each side.
QUIET_ZONE_MODULES = 10
# Smallest readable text on a label (points), and one point in millimetres.
MIN_FONT_SIZE = 4.0
PT_MM = 25.4 / 72

QR_MASK = 0

# A font file a label draws with: its reportlab name, its path, its face in a collection and
# the Debian package that installs it (named in the error when the file is missing).
LabelFont = namedtuple("LabelFont", "name path subfont_index package")

DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"
LATIN_FONT = LabelFont("DejaVuSans", f"{DEJAVU_DIR}/DejaVuSans.ttf", 0, "fonts-dejavu-core")
LATIN_BOLD_FONT = LabelFont(
    "DejaVuSans-Bold", f"{DEJAVU_DIR}/DejaVuSans-Bold.ttf", 0, "fonts-dejavu-core"
)
# Chinese, Japanese kana, Korean and Latin, in TrueType outlines: reportlab embeds those,
# not the CFF outlines of Noto CJK. It has no bold face; bold is drawn by stroking the glyphs.
CJK_FONT = LabelFont(
    "WenQuanYiZenHei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"
)


class LabelFontMissing(RuntimeError):
    """A font file the labels need is not installed on the server."""


@functools.cache
def load_font(font):
    """Register ``font`` with reportlab and return it (a ``TTFont``).

    Once per process: parsing the CJK collection takes about a second.
    """
    if not os.path.isfile(font.path):
        raise LabelFontMissing(
            f"The font file {font.path} is missing: install the Debian package {font.package}."
        )
    ttfont = TTFont(font.name, font.path, subfontIndex=font.subfont_index)
    pdfmetrics.registerFont(ttfont)
    return ttfont


def is_private_url(url):
    """Whether ``url`` points to a host that only the server's own network can reach.

    Loopback, private, link-local and unspecified addresses, ``localhost``, ``.local``
    (mDNS) and single-label host names; an empty URL too. A phone scanning a label elsewhere
    cannot open such a URL.
    """
    host = (urlsplit(url or "").hostname or "").rstrip(".").lower()
    if not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith((".localhost", ".local"))
    return (
        address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified
    )


def labels_per_page(label_format):
    fmt = LABEL_FORMATS[label_format]
    return fmt.columns * fmt.rows


def label_slot(label_format, index):
    """The box of the ``index``-th label (0-based) of a page, from the page's lower-left."""
    fmt = LABEL_FORMATS[label_format]
    column, row = index % fmt.columns, index // fmt.columns
    x = fmt.margin_left + column * fmt.label_width
    top = fmt.page_height - fmt.margin_top - row * fmt.label_height
    return Box(round(x, 3), round(top - fmt.label_height, 3), fmt.label_width, fmt.label_height)


def label_layout(width, height):
    """Boxes of a label's parts, relative to the label's lower-left corner.

    The QR code takes a square on the right; the left column holds, top to bottom, the
    company, the device model, the serial, the Code 128 bars with the barcode in clear
    text under them, and the service-desk phone.
    """
    margin = 1.5 if height < 33 else 2.0
    qr_side = min(height - 2 * margin, width * 0.36)
    gap = 1.0
    qr = Box(width - margin - qr_side, (height - qr_side) / 2, qr_side, qr_side)
    left_width = qr.x - gap - margin
    inner_height = height - 2 * margin
    line = inner_height * 0.115  # one text line
    bars_height = inner_height - 5 * line - 0.5
    top = height - margin
    company = Box(margin, top - line, left_width, line)
    model = Box(margin, company.y - line, left_width, line)
    serial = Box(margin, model.y - line, left_width, line)
    bars = Box(margin, serial.y - 0.25 - bars_height, left_width, bars_height)
    human = Box(margin, bars.y - line, left_width, line)
    phone = Box(margin, margin, left_width, line)
    return {
        "qr": qr,
        "company": company,
        "model": model,
        "serial": serial,
        "barcode": bars,
        "barcode_text": human,
        "phone": phone,
    }


def _font_for(text, bold=False):
    """The Latin font when it has every character of ``text``, else the CJK font.

    The CJK font is only loaded for a text that needs it.
    """
    latin = load_font(LATIN_BOLD_FONT if bold else LATIN_FONT)
    glyphs = latin.face.charToGlyph
    if all(ord(char) in glyphs for char in text):
        return latin.fontName
    return load_font(CJK_FONT).fontName


def fit_text(text, font, max_size, width_mm):
    """Shrink ``text`` down to :data:`MIN_FONT_SIZE`, then cut it with an ellipsis.

    Returns ``(text, size)`` whose drawn width is at most ``width_mm``.
    """
    text = " ".join((text or "").split())
    width = width_mm * mm
    # A text's width is proportional to its size: measured once, at 1 pt.
    unit_width = pdfmetrics.stringWidth(text, font, 1)
    size = max_size
    while size > MIN_FONT_SIZE and unit_width * size > width:
        size = max(MIN_FONT_SIZE, size - 0.25)
    if unit_width * size <= width:
        return text, size
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return (text.rstrip() + "…" if text else ""), size


def code128_modules(value):
    """The Code 128 bar pattern of ``value`` as a string of 1 (bar) and 0 (space)."""
    return Code128(value).build()[0]


def module_width_for(value, width_mm):
    """The module width (mm) that fits ``value`` and its quiet zones in ``width_mm``.

    :raises ValueError: when even the narrowest printable module does not fit.
    """
    modules = len(code128_modules(value)) + 2 * QUIET_ZONE_MODULES
    module = min(MAX_MODULE_MM, width_mm / modules)
    if module < MIN_MODULE_MM:
        raise ValueError(
            f"{value} needs {modules * MIN_MODULE_MM:.1f} mm, the label has {width_mm:.1f} mm"
        )
    return module


class ReportlabWriter(BaseWriter):
    """A python-barcode writer that draws the bars as rectangles on a reportlab canvas.

    python-barcode calls ``paint_module(x, y, width, color)`` for each run of modules, x and
    width in mm from the left of the quiet zone; only the dark runs are drawn.
    """

    def __init__(self, canvas, x_mm, y_mm):
        super().__init__(None, self._paint_module, None, self._finish)
        self.canvas = canvas
        self.origin = (x_mm, y_mm)
        self.bars = []

    def _paint_module(self, xpos, ypos, width, color):
        if color != self.foreground:
            return
        x = self.origin[0] + xpos
        self.canvas.rect(
            x * mm, self.origin[1] * mm, width * mm, self.module_height * mm, stroke=0, fill=1
        )
        self.bars.append((x, width))

    def _finish(self):
        return self.bars


def draw_code128(canvas, value, box):
    """Draw ``value`` as Code 128 centred in ``box``; returns the bars drawn (x, width) in mm."""
    module = module_width_for(value, box.width)
    total = (len(code128_modules(value)) + 2 * QUIET_ZONE_MODULES) * module
    writer = ReportlabWriter(canvas, box.x + (box.width - total) / 2, box.y)
    return Code128(value, writer=writer).render(
        {
            "module_width": module,
            "module_height": box.height,
            "quiet_zone": QUIET_ZONE_MODULES * module,
            "margin_top": 0,
            "margin_bottom": 0,
            "write_text": False,
        }
    )


def qr_matrix(data):
    """The QR code of ``data`` as rows of booleans (dark = True), without its quiet zone."""
    # Any of the eight masks makes a valid code; searching for the best one encodes the data
    # eight times and costs ten times the rest of a label, so one fixed mask is used.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def draw_qr(canvas, data, box):
    """Draw the QR code of ``data`` in the square ``box``, keeping a 2-module quiet zone."""
    matrix = qr_matrix(data)
    size = len(matrix)
    module = box.width / (size + 4)
    x0, y0 = box.x + 2 * module, box.y + 2 * module
    for row_index, row in enumerate(matrix):
        y = y0 + (size - 1 - row_index) * module
        column = 0
        # Horizontal runs of dark modules become one rectangle: smaller PDF, no hairlines.
        while column < size:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < size and row[column]:
                column += 1
            canvas.rect(
                (x0 + start * module) * mm,
                y * mm,
                (column - start) * module * mm,
                module * mm,
                stroke=0,
                fill=1,
            )
    return module


def _draw_text(canvas, text, box, max_size, bold=False, centered=False):
    text = " ".join((text or "").split())
    if not text:
        return
    font = _font_for(text, bold)
    # The line's height caps the size: capitals and descenders take about 0.85 em.
    text, size = fit_text(text, font, min(max_size, box.height / PT_MM * 0.85), box.width)
    canvas.setFont(font, size)
    mode = None
    if bold and font == CJK_FONT.name:
        # No bold face: fill and stroke the glyphs (text render mode 2).
        canvas.setLineWidth(size * 0.04)
        mode = 2
    baseline = (box.y + (box.height - size * PT_MM * 0.7) / 2) * mm
    if centered:
        canvas.drawCentredString((box.x + box.width / 2) * mm, baseline, text, mode=mode)
    else:
        canvas.drawString(box.x * mm, baseline, text, mode=mode)


def draw_label(canvas, label, slot):
    """Draw one label in ``slot`` (a :class:`Box` on the page)."""
    parts = label_layout(slot.width, slot.height)

    def at(name):
        box = parts[name]
        return Box(slot.x + box.x, slot.y + box.y, box.width, box.height)

    _draw_text(canvas, label.company, at("company"), 8, bold=True)
    _draw_text(canvas, label.model, at("model"), 7)
    _draw_text(canvas, label.serial, at("serial"), 7)
    draw_code128(canvas, label.barcode, at("barcode"))
    _draw_text(canvas, label.barcode, at("barcode_text"), 7, centered=True)
    _draw_text(canvas, label.phone, at("phone"), 7, bold=True)
    if label.url:
        draw_qr(canvas, label.url, at("qr"))


def render_labels(labels, label_format):
    """Render ``labels`` (:class:`LabelData`) in ``label_format`` and return the PDF bytes."""
    fmt = LABEL_FORMATS[label_format]
    buffer = io.BytesIO()
    canvas = pdf_canvas.Canvas(
        buffer,
        pagesize=(fmt.page_width * mm, fmt.page_height * mm),
        pageCompression=1,
        # Else every page names Helvetica, a font the PDF does not embed.
        initialFontName=load_font(LATIN_FONT).fontName,
    )
    canvas.setTitle("Device labels")
    per_page = labels_per_page(label_format)
    for index, label in enumerate(labels):
        if index and not index % per_page:
            canvas.showPage()
        draw_label(canvas, label, label_slot(label_format, index % per_page))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
