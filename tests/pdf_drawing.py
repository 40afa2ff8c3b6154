"""Read back what a label PDF draws: its filled rectangles, a Code 128 decoder working from
bar positions, and a rasteriser for the QR code (decoded with OpenCV, not the encoder)."""

import io
import re

from barcode.charsets import code128 as charset
from PyPDF2 import PdfReader

PT_TO_MM = 25.4 / 72
RECTANGLE = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re")


def page_rectangles(pdf):
    """Per page, the rectangles drawn (x, y, width, height in mm from the lower-left)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        content = page.get_contents().get_data()
        pages.append(
            [
                tuple(float(v) * PT_TO_MM for v in match.groups())
                for match in RECTANGLE.finditer(content)
            ]
        )
    return pages


def page_texts(pdf):
    """Per page, the text a PDF reader extracts (through the fonts' Unicode maps)."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def page_fonts(pdf):
    """Per page, the fonts its text uses: {base font name: whether its program is embedded}."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = {}
        for reference in page["/Resources"].get("/Font", {}).values():
            font = reference.get_object()
            # A composite (Type 0) font describes its glyphs in its descendant font.
            described = font
            if "/DescendantFonts" in font:
                described = font["/DescendantFonts"][0].get_object()
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
        pages.append(fonts)
    return pages


def page_sizes(pdf):
    return [
        (float(p.mediabox.width) * PT_TO_MM, float(p.mediabox.height) * PT_TO_MM)
        for p in PdfReader(io.BytesIO(pdf)).pages
    ]


def decode_code128(bars):
    """Decode Code 128 from its bars, given as (x, width) in any unit, in any order."""
    bars = sorted(bars)
    span = bars[-1][0] + bars[-1][1] - bars[0][0]
    narrowest = min(width for _x, width in bars)
    # A symbol is 11 modules; the stop pattern and its final bar add 13.
    symbols = round((span / narrowest - 13) / 11)
    module = span / (11 * symbols + 13)
    bits = []
    position = bars[0][0]
    for x, width in bars:
        bits.append("0" * round((x - position) / module))
        bits.append("1" * round(width / module))
        position = x + width
    pattern = "".join(bits)
    values = [charset.CODES.index(pattern[i : i + 11]) for i in range(0, 11 * symbols, 11)]
    if pattern[11 * symbols :] != charset.STOP + "11":
        raise ValueError("no stop pattern")
    start, data, check = values[0], values[1:-1], values[-1]
    if (start + sum(i * v for i, v in enumerate(data, 1))) % 103 != check:
        raise ValueError("bad checksum")
    code_set = {103: "A", 104: "B", 105: "C"}[start]
    text = []
    for value in data:
        if code_set == "C":
            if value < 100:
                text.append(f"{value:02d}")
            else:
                code_set = {100: "B", 101: "A"}[value]
        elif value == 99:
            code_set = "C"
        elif code_set == "B" and value == 101:
            code_set = "A"
        elif code_set == "A" and value == 100:
            code_set = "B"
        elif code_set == "B":
            text.append(chr(value + 32))
        else:
            text.append(chr(value + 32) if value < 64 else chr(value - 64))
    return "".join(text)


def decode_qr(rectangles, box):
    """Rasterise the rectangles that lie in ``box`` (x, y, w, h mm) and decode the QR code."""
    x0, y0, width, height = box
    inside = [
        (x, y, w, h)
        for x, y, w, h in rectangles
        if x >= x0 - 0.01
        and y >= y0 - 0.01
        and x + w <= x0 + width + 0.01
        and y + h <= y0 + height + 0.01
    ]
    if not inside:
        return ""
    module = min(h for _x, _y, _w, h in inside)
    # Like a phone camera at a few distances: OpenCV's detector misses some codes at one
    # scale and reads them at another.
    for pixels_per_module in (10, 7, 13, 5):
        text = _decode_raster(inside, box, pixels_per_module / module)
        if text:
            return text
    return ""


def _decode_raster(inside, box, pixels_per_mm):
    import cv2
    import numpy

    x0, y0, width, height = box
    margin = 4  # mm of white around, the quiet zone a scanner wants
    size_x = int((width + 2 * margin) * pixels_per_mm)
    size_y = int((height + 2 * margin) * pixels_per_mm)
    image = numpy.full((size_y, size_x), 255, dtype=numpy.uint8)
    for x, y, w, h in inside:
        left = round((x - x0 + margin) * pixels_per_mm)
        right = round((x + w - x0 + margin) * pixels_per_mm)
        top = size_y - round((y + h - y0 + margin) * pixels_per_mm)
        bottom = size_y - round((y - y0 + margin) * pixels_per_mm)
        image[top:bottom, left:right] = 0
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _points, _straight = detector.detectAndDecode(image)
        if text:
            return text
    return ""
