"""Identifier checks: 统一社会信用代码 (GB 32100-2015) and 学校标识码, as parametrised tables."""

import pytest

from emergency.units.identifiers import (
    normalise_identifier,
    school_code_problem,
    uscc_check_char,
    uscc_problem,
)

# An independent reading of GB 32100-2015: value = index in this alphabet, weight_i = 3**i mod 31.
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _reference_check_char(body: str) -> str:
    total = sum(_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    return _ALPHABET[(31 - total % 31) % 31]


# --- 统一社会信用代码 -------------------------------------------------------------------------

#: The standard's published example (domain-rules §8.1): body 91350100M000100Y4, check 3.
TEST_VECTOR = "91350100M000100Y43"


def test_published_test_vector_is_valid():
    assert uscc_problem(TEST_VECTOR) is None
    assert uscc_check_char(TEST_VECTOR[:17]) == "3"


@pytest.mark.parametrize("body", [
    "91350100M000100Y4",
    "91231102000000001",
    "11231102MB1234567",
    "12231181XYWUTRQPN",
    "52231102ABCDEFGHJ",
    "Y1000000000000000",
    "N2231124000000000",
])
def test_check_char_matches_an_independent_computation(body):
    expected = _reference_check_char(body)
    assert uscc_check_char(body) == expected
    assert uscc_problem(body + expected) is None


@pytest.mark.parametrize("code, expected", [
    ("91350100M000100Y40", "3"),
    ("91350100M000100Y49", "3"),
    ("91350100M000100Y4A", "3"),
    ("91350100M000100Y53", _reference_check_char("91350100M000100Y5")),
])
def test_wrong_check_char_reports_the_expected_one(code, expected):
    problem = uscc_problem(code)
    assert problem is not None
    assert problem.code == "uscc_check"
    assert problem.expected == expected
    assert expected != code[17]


@pytest.mark.parametrize("letter", list("IOZSV"))
@pytest.mark.parametrize("position", [0, 1, 8, 12, 16])
def test_forbidden_letters_are_rejected(letter, position):
    code = TEST_VECTOR[:position] + letter + TEST_VECTOR[position + 1:]
    problem = uscc_problem(code)
    assert problem is not None and problem.code == "uscc_characters"


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letter_as_check_char_is_rejected(letter):
    problem = uscc_problem(TEST_VECTOR[:17] + letter)
    assert problem is not None and problem.code in {"uscc_characters", "uscc_check"}


@pytest.mark.parametrize("code", [
    "91350A00M000100Y43",  # the region part (positions 3-8) must be digits
    "9135010-M000100Y43",
    "91350100M000100Y4#",
    "91350100m000100y43",  # lower case is only fine after normalisation
    "９1350100M000100Y43",  # full width is only fine after normalisation
    "91\u066350100M000100Y43",  # an Arabic-Indic digit survives NFKC; must not crash the check
    "913\u0e510100M000100Y43",  # a Thai digit
])
def test_other_bad_characters_are_rejected(code):
    problem = uscc_problem(code)
    assert problem is not None and problem.code == "uscc_characters"


def test_trailing_newline_is_not_a_valid_code():
    problem = uscc_problem(TEST_VECTOR[:17] + "\n")
    assert problem is not None and problem.code == "uscc_characters"


def test_non_ascii_digit_survives_normalisation_and_is_rejected_not_crashing():
    code = normalise_identifier("91\u066350100M000100Y43")
    assert "\u0663" in code
    assert uscc_problem(code).code == "uscc_characters"


@pytest.mark.parametrize("code", ["", "9", TEST_VECTOR[:17], TEST_VECTOR + "0", TEST_VECTOR * 2])
def test_wrong_length_is_reported_as_length(code):
    problem = uscc_problem(code)
    assert problem is not None and problem.code == "uscc_length"


@pytest.mark.parametrize("raw, normalised", [
    ("91350100m000100y43", TEST_VECTOR),
    ("９１３５０１００Ｍ０００１００Ｙ４３", TEST_VECTOR),
    ("９１３５０１００ｍ０００１００ｙ４３", TEST_VECTOR),
    (" 9135 0100 M000 100Y 43 ", TEST_VECTOR),
    ("91350100M000100Y43\n", TEST_VECTOR),
    ("9135\u30000100M000100Y43", TEST_VECTOR),  # ideographic space
    ("\t91350100M000100Y43\u00a0", TEST_VECTOR),
    ("", ""),
    (None, ""),
    ("２１２３０００００１", "2123000001"),
])
def test_normalise_identifier_folds_width_case_and_spaces(raw, normalised):
    assert normalise_identifier(raw) == normalised


@pytest.mark.parametrize("raw", [
    "91350100m000100y43",
    "９１３５０１００Ｍ０００１００Ｙ４３",
    "9135 0100 M000 100Y 43",
])
def test_typed_variants_are_valid_after_normalisation(raw):
    assert uscc_problem(raw) is not None
    assert uscc_problem(normalise_identifier(raw)) is None


# --- 学校标识码 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "1123000001",  # 幼儿园
    "2123000123",  # 小学
    "2223000001",  # 成人小学
    "3123001234",  # 普通初中
    "3423000009",  # 普通高中
    "3623000001",  # 中等职业学校
    "4123010234",  # 普通高等学校
    "4223000001",
    "5123000001",  # 特殊教育
    "9123000001",
    "9323000001",
])
def test_valid_school_codes(code):
    assert school_code_problem(code) is None


@pytest.mark.parametrize("code", [
    "1023000001",  # no category 10
    "1223000001",
    "2323000001",
    "3823000001",
    "4323000001",
    "9923000001",
    "0023000001",
    "123000001",  # 9 digits
    "21230000011",  # 11 digits
    "",
    "21230A0001",  # letters
    "21230000O1",
    "2123-00001",
    "２１２３０００００１",  # full width: only valid after normalisation
    "2123000001\n",
    "21\u0663\u06630000001",  # non-ASCII digits survive NFKC
])
def test_invalid_school_codes(code):
    problem = school_code_problem(code)
    assert problem is not None and problem.code == "school_format"
