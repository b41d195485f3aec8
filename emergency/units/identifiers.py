"""Identifier checks: 统一社会信用代码 (GB 32100-2015) and 学校标识码. Pure functions."""

import re
import unicodedata
from dataclasses import dataclass

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weight of position i is 3**i mod 31 (GB 32100-2015, 附录).
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}")
SCHOOL_CODE_PATTERN = re.compile(r"(11|21|22|31|32|33|34|35|36|37|41|42|51|91|92|93)[0-9]{8}")


@dataclass(frozen=True)
class IdentifierProblem:
    """Why an identifier is invalid; `code` is translated at the edge."""

    code: str  # "uscc_length", "uscc_characters", "uscc_check", "school_format"
    expected: str | None = None


def normalise_identifier(raw: str | None) -> str:
    """Fold full-width characters, drop spaces and upper-case, as typed codes often need."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", text).upper()


def uscc_check_char(body: str) -> str:
    """Return the check character for the first 17 characters of a 统一社会信用代码."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> IdentifierProblem | None:
    """Return what is wrong with a normalised 统一社会信用代码, or None when it is valid."""
    if len(code) != 18:
        return IdentifierProblem("uscc_length")
    if not USCC_PATTERN.fullmatch(code):  # [0-9]: \d also matches non-ASCII digits
        return IdentifierProblem("uscc_characters")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return IdentifierProblem("uscc_check", expected)
    return None


def school_code_problem(code: str) -> IdentifierProblem | None:
    """Return what is wrong with a 学校标识码 (10 digits with a known category prefix)."""
    if not SCHOOL_CODE_PATTERN.fullmatch(code):
        return IdentifierProblem("school_format")
    return None
