"""What a device barcode may contain.

Labels encode the barcode in Code 128 code set B, which carries printable ASCII
(space to tilde). Anything else (accents, CJK, control characters) cannot be printed
or scanned back, so it is refused when the barcode is typed.
"""

CODE128_PRINTABLE = frozenset(chr(code) for code in range(32, 127))


def invalid_code128_characters(value):
    """Return the distinct characters of ``value`` that Code 128 set B cannot encode, in order."""
    seen = []
    for char in value or "":
        if char not in CODE128_PRINTABLE and char not in seen:
            seen.append(char)
    return seen
