"""Text diff of two DOCX documents, paragraph by paragraph."""

import difflib
import zipfile

import docx

from emergency.documents.services import open_document
from emergency.documents.sniff import RejectedFile, inspect_zip


class DiffUnavailable(Exception):
    """The documents could not be read as DOCX text."""


def docx_paragraphs(document) -> list[str]:
    """Return the non-empty paragraphs of a stored DOCX, table cells included, in order."""
    with open_document(document) as handle:
        try:
            inspect_zip(handle)  # never parse XML out of a zip bomb
            handle.seek(0)
            parsed = docx.Document(handle)
        except (RejectedFile, zipfile.BadZipFile, KeyError, ValueError) as error:
            raise DiffUnavailable(str(error)) from error
    lines = [p.text.strip() for p in parsed.paragraphs]
    for table in parsed.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return [line for line in lines if line]


def docx_text_diff(old, new) -> list[tuple[str, str]]:
    """Return (op, text) pairs: op is " " unchanged, "-" removed, "+" added."""
    before, after = docx_paragraphs(old), docx_paragraphs(new)
    result = []
    for line in difflib.ndiff(before, after):
        op = line[:1]
        if op in (" ", "-", "+"):
            result.append((op, line[2:]))
    return result
