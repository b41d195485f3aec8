"""Translations: compiled catalogs, no untranslated strings, language choice, China-time dates."""

import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from emergency.auth.models import Role
from emergency.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "emergency" / "translations"
LANGUAGES = ("zh", "en")


# --- catalogs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_exists_and_translates(lang):
    mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file() and mo.stat().st_size > 0, f"run `make translations`: {mo} is missing"
    with mo.open("rb") as handle:
        catalog = read_mo(handle)
    expected = {"zh": "登录", "en": "Log in"}[lang]
    assert catalog.get("Log in").string == expected


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list[str]:
    """Extract every msgid from the code exactly like `make extract-messages` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "--sort-output", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        template = read_po(handle)
    ids = [message.id for message in template if message.id]
    assert len(ids) > 100  # the extraction really found the app's strings
    return ids


def _key(msgid) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_extracted_string_is_translated(extracted, lang):
    """Fails as soon as someone adds a user-facing string without translating it (`make
    update-messages`, then fill in the .po files)."""
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for msgid in extracted:
        message = catalog.get(msgid)
        strings = [] if message is None else (
            list(message.string) if isinstance(message.string, tuple) else [message.string])
        if message is None or message.fuzzy or not strings or not all(strings):
            missing.append(_key(msgid))
    assert missing == [], f"{len(missing)} untranslated strings in {lang}: {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_survive_translation(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    placeholder = re.compile(r"%\((\w+)\)s")
    wrong = []
    for message in catalog:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        if set(placeholder.findall(message.id)) != set(placeholder.findall(message.string)):
            wrong.append(message.id)
    assert wrong == []


# --- language selection -------------------------------------------------------------------------

@pytest.mark.parametrize("header, lang_attr, text", [
    ("zh-CN,zh;q=0.9", "zh-CN", "登录"),
    ("zh-TW", "zh-CN", "登录"),
    ("en-US,en;q=0.9", "en", "Log in"),
    ("en", "en", "Log in"),
    ("fr-FR", "zh-CN", "登录"),  # unsupported: the default, Chinese
])
def test_accept_language_picks_the_language(client, header, lang_attr, text):
    response = client.get("/login", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert f'<html lang="{lang_attr}">' in response.text
    assert text in response.text


def test_requests_in_a_row_follow_each_header(client):
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en"}).text
    assert '<html lang="zh-CN">' in client.get("/login", headers={"Accept-Language": "zh-CN"}).text


def test_user_preference_overrides_the_browser(login, make_user, tree):
    user = make_user(Role.OFFICE, region=tree.county_a, locale="en")
    response = login(user).get("/units/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="en">' in response.text
    assert "No units match these filters." in response.text


def test_language_switch_is_remembered(client):
    response = client.post("/language/en", data={"next": "/login"})
    assert response.status_code == 302
    page = client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in page.text


def test_error_pages_are_translated(client):
    assert "The page or record was not found" in client.get(
        "/nowhere", headers={"Accept-Language": "en"}).text
    assert "页面或记录未找到" in client.get("/nowhere", headers={"Accept-Language": "zh-CN"}).text


# --- dates in China time --------------------------------------------------------------------------

@pytest.fixture(params=["UTC", "America/New_York", "Asia/Shanghai"])
def process_tz(request, monkeypatch):
    """Run the test with the server process in another time zone."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def _unit_at(make_unit, tree, instant):
    return make_unit(tree.county_a, name="时区测试单位", updated_at=instant)


@pytest.mark.parametrize("instant, zh, en", [
    (datetime(2025, 3, 1, 1, 0, tzinfo=UTC), "2025年3月1日", "Mar 1, 2025"),
    # 16:30Z on 28 Feb is already 1 March in Beijing: only China time gives this date.
    (datetime(2025, 2, 28, 16, 30, tzinfo=UTC), "2025年3月1日", "Mar 1, 2025"),
    # 15:59Z on 28 Feb is still 28 February in Beijing.
    (datetime(2025, 2, 28, 15, 59, tzinfo=UTC), "2025年2月28日", "Feb 28, 2025"),
])
def test_dates_render_in_china_time_whatever_the_server_tz(login, make_user, make_unit, tree,
                                                          process_tz, instant, zh, en):
    _unit_at(make_unit, tree, instant)
    db.session.expire_all()
    client = login(make_user(Role.OFFICE, region=tree.county_a))
    chinese = client.get("/units/", headers={"Accept-Language": "zh-CN"}).text
    english = client.get("/units/", headers={"Accept-Language": "en"}).text
    assert re.search(rf'<td class="small">{zh}</td>', chinese), process_tz
    assert re.search(rf'<td class="small">{en}</td>', english.replace("\u202f", " ")), process_tz


def test_datetimes_render_with_china_clock_time(login, make_user, process_tz):
    from emergency.audit.models import AuditEntry

    db.session.add(AuditEntry(action="create", object_type="units", object_id=1,
                              object_label="时钟测试", at=datetime(2025, 3, 1, 1, 0, tzinfo=UTC)))
    db.session.commit()
    client = login(make_user(Role.ADMIN))
    chinese = client.get("/audit/", headers={"Accept-Language": "zh-CN"}).text
    english = client.get("/audit/", headers={"Accept-Language": "en"}).text
    assert "2025年3月1日 09:00:00" in chinese
    assert "Mar 1, 2025, 9:00:00 AM" in re.sub(r"[\u202f\u00a0]", " ", english)
