"""The import pages: templates, upload, dry-run report, confirmation, permissions."""

import html
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.units.models import Unit
from tests.factories import log_in, valid_uscc
from tests.imports.conftest import counts
from tests.imports.files import PLAN_HEADERS, UNIT_HEADERS, csv_file, xlsx_zip_bomb

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def office(office_a, client):
    log_in(client, office_a)
    return client


def upload(client, path: Path, kind="units", name=None):
    with open(path, "rb") as handle:
        data = {"kind": kind, "file": (io.BytesIO(handle.read()), name or path.name)}
    return client.post("/imports/", data=data, content_type="multipart/form-data", headers=ZH)


def token_of(response) -> str:
    assert response.status_code == 302, text_of(response)[:3000]
    match = re.fullmatch(r"/imports/check/([^/]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def confirm(client, token, skip_invalid=False):
    data = {"upload": token}
    if skip_invalid:
        data["skip_invalid"] = "y"
    return client.post("/imports/apply", data=data, headers=ZH)


def unit_csv(tmp_path, rows, name="单位名册.csv"):
    return csv_file(tmp_path / name, [UNIT_HEADERS] + rows)


def row(name, code, region="231102001", liaison=("", "", "", "")):
    return [name, "企业", region, code, "", "", "", "", *liaison]


def test_templates_have_chinese_headers_instructions_and_the_users_regions(office, tmp_path):
    for kind, headers, sheet in (("units", UNIT_HEADERS, "单位"), ("plans", PLAN_HEADERS, "预案台账")):
        response = office.get(f"/imports/template/{kind}.xlsx", headers=ZH)
        assert response.status_code == 200
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(response.data)
        workbook = load_workbook(path, read_only=True)
        try:
            assert workbook.sheetnames == [sheet, "填写说明", "区划代码"]
            assert list(next(workbook[sheet].iter_rows(values_only=True))) == headers
            instructions = [r[0] for r in workbook["填写说明"].iter_rows(values_only=True) if r]
            assert instructions[0] == "填写说明" and any("试运行" in (t or "") for t in instructions)
            regions = list(workbook["区划代码"].iter_rows(values_only=True))[1:]
        finally:
            workbook.close()
        # office_a sees 爱辉区 and below only.
        assert [r[:2] for r in regions] == [("231102", "黑河市/爱辉区"),
                                            ("231102001", "黑河市/爱辉区/花园街道"),
                                            ("231102001001", "黑河市/爱辉区/花园街道/花园社区")]


def test_a_filled_in_template_imports(office, tmp_path):
    response = office.get("/imports/template/units.xlsx")
    path = tmp_path / "filled.xlsx"
    path.write_bytes(response.data)
    workbook = load_workbook(path)
    sheet = workbook["单位"]
    sheet.append(["爱辉机械厂", "企业", "231102001", valid_uscc("231102")])
    workbook.save(path)
    token = token_of(upload(office, path))
    page = office.get(f"/imports/check/{token}", headers=ZH)
    assert page.status_code == 200
    assert re.search(r"<td>2</td><td>爱辉机械厂</td><td><span class=\"badge text-bg-success\">",
                     text_of(page))
    assert confirm(office, token).status_code == 200
    assert db.session.scalar(select(Unit.name)) == "爱辉机械厂"


def test_upload_dry_run_confirm_and_passwords_shown_once(office, tmp_path, app):
    bad = valid_uscc("231102", 901)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    path = unit_csv(tmp_path, [
        row("爱辉机械厂", valid_uscc("231102", 902),
            liaison=("张三", "zhangsan", "zhang@yjj.local", "")),
        row("爱辉化工厂", bad),
        row("北安煤矿", valid_uscc("231181", 903), region="231181100"),
    ])
    before = counts()
    token = token_of(upload(office, path))
    stored = list((Path(app.config["UPLOAD_ROOT"]) / "imports").iterdir())
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.csv", stored[0].name)

    page = office.get(f"/imports/check/{token}", headers=ZH)
    body = text_of(page)
    assert page.status_code == 200
    assert "第 3 行" not in body  # rows are shown in a table, not prose
    assert re.search(r"<td>3</td><td>D（统一社会信用代码/学校标识码）</td>", body)
    assert "校验码错误" in body  # the shared Chinese message naming the right check character
    assert re.search(r"<td>4</td><td>C（所属区划）</td>", body)
    assert counts() == before  # the dry run wrote nothing

    refused = confirm(office, token)
    assert refused.status_code == 409
    assert counts() == before

    done = confirm(office, token, skip_invalid=True)
    assert done.status_code == 200
    body = text_of(done)
    password = re.search(r'<td class="secret">zhangsan</td><td class="secret">([^<]+)</td>', body)
    assert password, body[:3000]
    liaison = db.session.scalar(select(User).where(User.username == "zhangsan"))
    assert liaison.role == Role.LIAISON and liaison.unit.name == "爱辉机械厂"
    assert db.session.scalars(select(Unit.name)).all() == ["爱辉机械厂"]
    event = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert event.username == "office_a" and event.changes["create"] == 1

    # The file is gone: confirming again (a double click, the back button) imports nothing.
    assert not list((Path(app.config["UPLOAD_ROOT"]) / "imports").iterdir())
    again = confirm(office, token, skip_invalid=True)
    assert again.status_code == 410 and password.group(1) not in text_of(again)

    # The new liaison can log in with the password shown.
    other = app.test_client()
    login = other.post("/login", data={"username": "zhangsan", "password": password.group(1)})
    assert login.status_code == 302


def test_tokens_are_bound_to_their_user_and_file(office, tmp_path, app, tree, make_user):
    path = unit_csv(tmp_path, [row("爱辉机械厂", valid_uscc("231102"))])
    token = token_of(upload(office, path))
    other = app.test_client()
    log_in(other, make_user(Role.OFFICE, region=tree.county_a))
    assert other.get(f"/imports/check/{token}").status_code == 404
    assert confirm(other, token).status_code == 404
    assert office.get(f"/imports/check/{token[:-2]}xx").status_code == 404

    stored = next((Path(app.config["UPLOAD_ROOT"]) / "imports").iterdir())
    stored.write_bytes(stored.read_bytes() + b"\n\xe4\xb9\x99,\xe4\xbc\x81\xe4\xb8\x9a,231102001\n")
    page = office.get(f"/imports/check/{token}", headers=ZH)
    assert page.status_code == 410
    assert counts()["units"] == 0 and confirm(office, token).status_code == 410


def test_only_office_and_admin_may_import(client, tree, make_unit, make_user, tmp_path):
    unit = make_unit(tree.town_a)
    for user in (make_user(Role.LIAISON, unit=unit), make_user(Role.VIEWER, region=tree.city)):
        log_in(client, user)
        assert client.get("/imports/").status_code == 403
        assert client.get("/imports/template/units.xlsx").status_code == 403
        assert client.post("/imports/apply", data={"upload": "x"}).status_code == 403
        assert "/imports/" not in client.get("/plans/").get_data(as_text=True)


def test_nav_link_for_office(office):
    assert 'href="/imports/"' in office.get("/plans/").get_data(as_text=True)


def test_wrong_extension_and_missing_file(office, tmp_path):
    path = tmp_path / "名册.txt"
    path.write_text("单位名称,单位类型,所属区划\n")
    response = upload(office, path)
    assert response.status_code == 400
    assert "上传" in text_of(response) or ".xlsx" in text_of(response)
    missing = office.post("/imports/", data={"kind": "units"}, headers=ZH)
    assert missing.status_code == 400


def test_zip_bomb_upload_gets_a_clear_refusal(office, tmp_path):
    bomb = xlsx_zip_bomb(tmp_path / "单位.xlsx")
    token = token_of(upload(office, bomb))
    page = office.get(f"/imports/check/{token}", headers=ZH)
    assert page.status_code == 200
    assert "文件解压后体积异常，已拒绝。" in text_of(page)
    assert "/imports/apply" not in text_of(page)


def test_plans_register_through_the_pages(office, tmp_path, tree, make_unit):
    make_unit(tree.county_a, name="爱辉区水务局", kind="government_department")
    path = csv_file(tmp_path / "台账.csv", [PLAN_HEADERS, [
        "", "爱辉区水务局", "", "爱辉区防汛应急预案", "部门应急预案", "自然灾害", "防汛",
        "2024-05-01", "", "2024-05-20", "", "", ""]], encoding="gb18030")
    token = token_of(upload(office, path, kind="plans"))
    page = office.get(f"/imports/check/{token}", headers=ZH)
    assert "爱辉区防汛应急预案" in text_of(page)
    done = confirm(office, token)
    assert done.status_code == 200
    assert counts()["plans"] == 1


def test_english_page(office, tmp_path):
    path = unit_csv(tmp_path, [row("x", "")])
    token = token_of(upload(office, path))
    page = office.get(f"/imports/check/{token}", headers={"Accept-Language": "en"})
    assert "An enterprise needs its unified social credit code." in text_of(page)
