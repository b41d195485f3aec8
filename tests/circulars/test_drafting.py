"""How the draft words its figures: section numbers and lists in the reader's language."""

from contextlib import contextmanager
from datetime import date

import pytest
from flask_babel import refresh

from emergency.circulars import drafting


@contextmanager
def language(app, code: str):
    """A request in that language (Flask-Babel caches the locale in the shared app context)."""
    with app.test_request_context(headers={"Accept-Language": code}):
        refresh()
        yield
    refresh()


@pytest.mark.parametrize(("n", "zh", "en"), [
    (1, "一", "1"), (9, "九", "9"), (10, "十", "10"), (12, "十二", "12"), (20, "二十", "20"),
    (21, "二十一", "21"), (99, "九十九", "99"), (100, "100", "100"),
])
def test_section_numbers(app, n, zh, en):
    with language(app, "zh-CN"):
        assert drafting.numeral(n) == zh
    with language(app, "en"):
        assert drafting.numeral(n) == en


def test_lists_and_sentences_follow_the_language(app):
    with language(app, "zh-CN"):
        assert drafting.join(["爱辉区", "北安市"]) == "爱辉区、北安市"
        assert drafting.sentences("甲。", "", "乙。") == "甲。乙。"
        assert drafting.long_date(date(2026, 10, 31)) == "2026年10月31日"
    with language(app, "en"):
        assert drafting.join(["A", "B"]) == "A, B"
        assert drafting.sentences("One.", "Two.") == "One. Two."
