"""The account list export: filters, scope, no secrets."""

from pathlib import Path

import pytest
from babel.support import Translations

from emergency.auth.models import Role
from tests.factories import log_in
from tests.imports.files import read_csv, read_xlsx

ZH = Translations.load(str(Path(__file__).resolve().parents[2] / "emergency" / "translations"),
                       ["zh"])


@pytest.fixture
def accounts(tree, make_unit, make_user):
    school = make_unit(tree.town_a, name="花园小学", kind="school", identifier="2123000001")
    mine = make_unit(tree.town_b, name="北安煤矿")
    return {
        "office_a": make_user(Role.OFFICE, region=tree.county_a, username="office_a",
                              display_name="=爱辉区应急局", phone="0456-1234567"),
        "teacher": make_user(Role.LIAISON, unit=school, username="teacher",
                             display_name="王老师"),
        "miner": make_user(Role.LIAISON, unit=mine, username="miner", display_name="李工"),
        "admin": make_user(Role.ADMIN, username="boss", display_name="管理员"),
    }


def test_account_export_honours_filters_and_scope(accounts, client):
    log_in(client, accounts["office_a"])
    rows = read_xlsx(client.get("/users/export.xlsx"))
    assert rows[0] == [ZH.gettext(h) for h in ("Username", "Name", "Role", "Scope", "E-mail",
                                               "Phone", "Last login", "Status")]
    assert rows[0][0] == "用户名"
    # 爱辉区's office sees its own region's accounts, never 北安市's liaison.
    assert {r[0] for r in rows[1:]} == {"office_a", "teacher"}
    office = next(r for r in rows[1:] if r[0] == "office_a")
    assert office[1] == "'=爱辉区应急局" and office[3] == "爱辉区" and office[5] == "0456-1234567"
    liaisons = read_csv(client.get("/users/export.csv?role=liaison"))
    assert [(r[0], r[3]) for r in liaisons[1:]] == [("teacher", "花园小学")]
    assert read_csv(client.get("/users/export.csv?q=王"))[1:][0][0] == "teacher"
    assert b"pbkdf2" not in client.get("/users/export.csv").data
    assert b"scrypt" not in client.get("/users/export.csv").data


def test_account_export_is_for_office_staff_only(accounts, client):
    log_in(client, accounts["teacher"])
    assert client.get("/users/export.xlsx").status_code == 403
    log_in(client, accounts["admin"])
    rows = read_csv(client.get("/users/export.csv"))
    assert {r[0] for r in rows[1:]} == {"office_a", "teacher", "miner", "boss"}
