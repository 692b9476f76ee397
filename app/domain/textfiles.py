"""Reading uploaded text tables (CSV) whatever Excel saved them as.

Finnish Excel saves "CSV (semicolon delimited)" in Windows-1252, with semicolons and
decimal commas; "CSV UTF-8" adds a byte-order mark. Both are accepted, and so is
Latin-1: UTF-8 is tried strictly first (it is never mistaken for the others), then
`charset-normalizer` decides among the single-byte Western encodings and refuses what
reads as no text at all. The encoding used is named, so a dry run can report it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

# What charset-normalizer may choose among once the data is not UTF-8, and their names.
SINGLE_BYTE = {"cp1252": "Windows-1252", "latin_1": "ISO-8859-1"}
UTF8 = "UTF-8"
UTF8_BOM = "UTF-8 (BOM)"


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "UTF-8", "UTF-8 (BOM)", "Windows-1252" or "ISO-8859-1"


class UnknownEncoding(ValueError):
    """The bytes are not text in any accepted encoding."""


def decode_text(data: bytes) -> DecodedText:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return DecodedText(data[len(codecs.BOM_UTF8) :].decode("utf-8"), UTF8_BOM)
        except UnicodeDecodeError:
            raise UnknownEncoding(UTF8_BOM) from None
    try:
        return DecodedText(data.decode("utf-8"), UTF8)
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=list(SINGLE_BYTE)).best()
    if best is None or best.encoding not in SINGLE_BYTE:
        raise UnknownEncoding("unknown")
    try:
        return DecodedText(data.decode(best.encoding), SINGLE_BYTE[best.encoding])
    except UnicodeDecodeError:
        raise UnknownEncoding(best.encoding) from None


def extra_cells(cells: list[str] | tuple[object, ...], header_width: int) -> int:
    """How many non-blank cells a row has beyond its header (0 if none): such a row was
    split wrongly (a decimal comma or a semicolon inside an unquoted value), and is an
    error on that row, never silently cut. Empty trailing cells are harmless."""
    beyond = cells[header_width:]
    return sum(1 for cell in beyond if cell is not None and str(cell).strip())
