"""Split one printed PDF into its documents (no ORM; Odoo's PDF library): each document
starts on a page that carries ``marker`` followed by its id, and runs to the next such
page."""

import io
import re

from odoo.tools.pdf import PdfFileReader, PdfFileWriter


def split_by_marker(pdf, marker):
    """{id: the PDF of its pages} for the documents found in ``pdf`` (bytes)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    pattern = re.compile(re.escape(marker) + r"(\d+)")
    starts = []
    for number in range(reader.numPages):
        found = pattern.search(reader.getPage(number).extractText())
        if found:
            starts.append((number, int(found.group(1))))
    documents = {}
    for index, (first, doc_id) in enumerate(starts):
        last = starts[index + 1][0] if index + 1 < len(starts) else reader.numPages
        writer = PdfFileWriter()
        for number in range(first, last):
            writer.addPage(reader.getPage(number))
        stream = io.BytesIO()
        writer.write(stream)
        documents[doc_id] = stream.getvalue()
    return documents
