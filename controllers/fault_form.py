"""The portal's fault form, what it takes and how a description is cleaned: plain
constants and functions, shared by the device page (which shows the form) and the fault
routes (portal_fault.py)."""

import re

import lxml.html

from odoo.tools import html_sanitize, plaintext2html

# The fault form's one-time key (see maintenance.request.portal_submission_key).
SUBMISSION_KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Photos of a fault report: how many, how large, which kinds (checked on the content).
PHOTO_MAX_COUNT = 5
PHOTO_MAX_MB = 10
PHOTO_MIMETYPES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
}
# The longest fault description taken, in characters of what was typed.
DESCRIPTION_MAX_CHARS = 10000


def fault_description_html(text):
    """The customer's description as the work order's HTML: plain text, line breaks kept,
    markup taken out (scripts and styles with their content, any tag and attribute), the
    words escaped. Empty when nothing readable is left."""
    source = "<br>".join((text or "").strip().splitlines())
    cleaned = html_sanitize(f"<div>{source}</div>") if source else ""
    if not cleaned:
        return ""
    root = lxml.html.fragment_fromstring(str(cleaned), create_parent="div")
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    lines = [line.rstrip() for line in root.text_content().splitlines()]
    plain = "\n".join(lines).strip()
    return plaintext2html(plain) if plain else ""
