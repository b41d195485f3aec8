"""The circular pages: choose, edit the draft, download DOCX, print; scoping and bad input."""

import html
import io
import re

import docx
import pytest
from docx.oxml.ns import qn
from sqlalchemy import delete, func, select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role
from emergency.compliance.models import Obligation, Rule
from emergency.extensions import db
from tests.circulars.conftest import text_of, zh
from tests.factories import log_in

ZH = {"Accept-Language": "zh-CN"}
DRAFT = "/circulars/?month=2026-11"
TITLE = "Circular on emergency plan management in %(month)s/%(year)s"
MALFORMED = "The month must be written as YYYY-MM, for example %(example)s."
FUTURE = "%(month)s has not begun yet: choose this month or an earlier one."


def client_for(app, user):
    client = app.test_client()
    log_in(client, user)
    return client


def audit_actions() -> list[str]:
    db.session.rollback()
    return db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("circular%"))
                              .order_by(AuditEntry.id)).all()


def draft_fields(page: str) -> dict:
    """Read the draft form as the browser would submit it."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([a-z_]+)"', tag), re.search(r'value="([^"]*)"', tag)
        # A browser sends only the button that was pressed; the tests add it themselves.
        if name and value and 'type="submit"' not in tag:
            fields[name.group(1)] = html.unescape(value.group(1))
    areas = re.findall(r'<textarea[^>]*name="([a-z_]+)"[^>]*>(.*?)</textarea>', page, re.S)
    for name, value in areas:
        fields[name] = html.unescape(value).lstrip("\r\n")
    return fields


def edited_draft(client, region_id=None, **changes) -> dict:
    url = DRAFT + (f"&region={region_id}" if region_id else "")
    page = client.get(url, headers=ZH)
    assert page.status_code == 200, page.text[:500]
    return {**draft_fields(page.text), **changes}


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


# --- who may open it ----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["office_city", "leader", "admin"])
def test_office_leader_and_admin_get_a_draft(app, city, who):
    client = client_for(app, getattr(city, who))
    page = client.get(DRAFT + f"&region={city.tree.city.id}", headers=ZH)

    assert page.status_code == 200
    text = text_of(page)
    assert zh(TITLE, month=11, year=2026) in text
    for name in ("爱辉化工厂", "花园热力公司", "北安市应急管理局", "北安煤矿"):
        assert name in text
    assert "北安粮库" not in text  # nothing overdue
    assert audit_actions() == ["circular_draft"]


def test_liaisons_have_no_circulars(app, city, make_user):
    liaison = make_user(Role.LIAISON, unit=city.chemical)
    client = client_for(app, liaison)

    assert client.get("/circulars/").status_code == 404
    assert client.get(DRAFT).status_code == 404
    assert client.post("/circulars/document", data={"month": "2026-11"}).status_code == 404
    assert audit_actions() == []


def test_the_chooser_offers_months_and_regions_in_scope(app, city):
    page = client_for(app, city.office_a).get("/circulars/", headers=ZH)

    assert page.status_code == 200
    assert '<option value="2026-10" selected>' in page.text
    assert '<option value="2026-12"' not in page.text
    assert "爱辉区" in page.text and "北安市" not in page.text
    assert audit_actions() == []


def test_a_county_office_sees_only_its_county(app, city):
    page = client_for(app, city.office_b).get(DRAFT, headers=ZH)

    assert page.status_code == 200
    text = text_of(page)
    assert "北安煤矿" in text and "北安市应急管理局" in text
    assert "爱辉化工厂" not in text and "花园热力公司" not in text


@pytest.mark.parametrize("region", ["county_a", "city", "province"])
def test_a_region_outside_scope_in_the_url_is_404(app, city, region):
    client = client_for(app, city.office_b)

    page = client.get(DRAFT + f"&region={getattr(city.tree, region).id}", headers=ZH)

    assert page.status_code == 404
    assert "爱辉化工厂" not in page.text
    assert audit_actions() == []


@pytest.mark.parametrize("region", ["abc", "-1", "99999999999999999999", "0"])
def test_a_malformed_region_is_404(app, city, region):
    assert client_for(app, city.office_city).get(DRAFT.replace("2026-11", "2026-10")
                                                 + f"&region={region}").status_code == 404


def test_a_province_is_refused_and_admins_start_from_a_city(app, city):
    client = client_for(app, city.admin)

    page = client.get(DRAFT + f"&region={city.tree.province.id}", headers=ZH)
    default = client.get(DRAFT, headers=ZH)

    assert page.status_code == 400
    assert zh("A circular names the units one by one, so it covers a city or a part of one: "
              "choose a city or a county.") in text_of(page)
    assert default.status_code == 200 and f'value="{city.tree.city.id}" selected' in default.text
    assert audit_actions() == ["circular_draft"]


# --- bad months ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("month", "message"), [
    ("2026-13", (MALFORMED, {"example": "2026-10"})),
    ("oct", (MALFORMED, {"example": "2026-10"})),
    ("", (MALFORMED, {"example": "2026-10"})),
    ("2026-12", (FUTURE, {"month": "2026-12"})),
    ("1999-01", ("Choose a month from %(year)s on.", {"year": 2000})),
])
def test_a_bad_month_is_400_with_a_message_and_nothing_written(app, city, month, message):
    page = client_for(app, city.office_city).get(f"/circulars/?month={month}", headers=ZH)

    assert page.status_code == 400
    assert zh(message[0], **message[1]) in text_of(page)
    assert audit_actions() == []


# --- the document -------------------------------------------------------------------------------

def test_docx_holds_the_edited_text_and_the_unit_names(app, city):
    client = client_for(app, city.office_city)
    data = edited_draft(client, lead="办公室修改后的导语：请各单位认真对照整改。\n第二段导语。",
                        requirements="请于十二月底前报送整改情况。", docx="1")

    response = client.post("/circulars/document", data=data, headers=ZH)

    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument"
                                 ".wordprocessingml.document")
    assert "attachment" in response.headers["Content-Disposition"]
    text = docx_text(response.data)
    assert "办公室修改后的导语：请各单位认真对照整改。" in text and "第二段导语。" in text
    assert "请于十二月底前报送整改情况。" in text
    units_and_towns = ("爱辉化工厂", "花园热力公司", "北安市应急管理局", "北安煤矿", "花园街道",
                       "赵光镇")
    for name in units_and_towns:
        assert name in text
    assert audit_actions() == ["circular_draft", "circular_download"]


def test_docx_is_a4_with_chinese_fonts(app, city):
    client = client_for(app, city.office_city)
    response = client.post("/circulars/document", data=edited_draft(client, docx="1"), headers=ZH)

    document = docx.Document(io.BytesIO(response.data))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    title, *rest = [p for p in document.paragraphs if p.text]
    assert title.text == zh(TITLE, month=11, year=2026)
    fonts = {run._element.rPr.rFonts.get(qn("w:eastAsia"))
             for p in document.paragraphs for run in p.runs}
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert {"仿宋", "黑体"} <= fonts
    normal = document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia"))
    assert normal == "仿宋"


def test_the_printable_page_shows_the_edited_text_without_scripts(app, city):
    client = client_for(app, city.office_city)
    data = edited_draft(client, improvements="上月以来整改成效明显。", printable="1")

    page = client.post("/circulars/document", data=data, headers=ZH)

    assert page.status_code == 200
    text = text_of(page)
    assert "上月以来整改成效明显。" in text and "北安煤矿" in text
    assert "<script" not in page.text and "http://" not in page.text and "https://" not in page.text
    css = re.search(r'href="([^"]+circular\.css)"', page.text).group(1)
    stylesheet = client.get(css)
    assert stylesheet.status_code == 200 and "@media print" in stylesheet.text
    stylesheet.close()  # static files are sent from an open file
    assert audit_actions() == ["circular_draft", "circular_print"]


def test_text_too_long_is_400_and_nothing_written(app, city):
    client = client_for(app, city.office_city)
    data = edited_draft(client, lead="很长" * 3000, docx="1")

    page = client.post("/circulars/document", data=data, headers=ZH)

    assert page.status_code == 400
    assert zh("At most %(max)d characters; this text has more.", max=5000) in text_of(page)
    assert audit_actions() == ["circular_draft"]


def test_an_empty_title_is_refused(app, city):
    client = client_for(app, city.office_city)
    page = client.post("/circulars/document", data=edited_draft(client, title="   ", docx="1"))
    assert page.status_code == 400
    assert audit_actions() == ["circular_draft"]


@pytest.mark.parametrize("changes", [{"month": "2026-12"}, {"month": "2026/11"}])
def test_a_bad_month_in_the_post_is_400(app, city, changes):
    client = client_for(app, city.office_city)
    page = client.post("/circulars/document", data=edited_draft(client, docx="1", **changes))
    assert page.status_code == 400
    assert audit_actions() == ["circular_draft"]


def test_a_region_outside_scope_in_the_post_is_404(app, city):
    client = client_for(app, city.office_b)
    data = edited_draft(client, region=str(city.tree.county_a.id), docx="1")

    response = client.post("/circulars/document", data=data)

    assert response.status_code == 404
    assert "爱辉化工厂" not in response.text
    assert audit_actions() == ["circular_draft"]


def test_a_month_with_nothing_overdue_still_makes_a_circular(app, city):
    # Without the rules nothing is owed, so nothing is overdue now or last month.
    db.session.execute(delete(Obligation))
    db.session.execute(Rule.__table__.update().values(is_active=False))
    db.session.commit()
    client = client_for(app, city.office_city)

    draft = client.get(DRAFT, headers=ZH)
    response = client.post("/circulars/document", data={**draft_fields(draft.text), "docx": "1"},
                           headers=ZH)

    none = zh("No unit had an overdue item.")
    lead = zh("As of %(day)s no unit in %(region)s had an overdue item: every plan, filing, "
              "evaluation, revision and drill was done on time or is not due yet.",
              day="2026年11月20日", region="黑河市")
    assert draft.status_code == 200 and none in text_of(draft) and lead in text_of(draft)
    text = docx_text(response.data)
    assert none in text and lead in text


# --- CSRF ---------------------------------------------------------------------------------------

def test_the_post_needs_the_csrf_token(app, city):
    app.config["WTF_CSRF_ENABLED"] = True
    client = client_for(app, city.office_city)
    data = edited_draft(client, docx="1")
    token = data.pop("csrf_token")

    refused = client.post("/circulars/document", data=data)
    accepted = client.post("/circulars/document", data={**data, "csrf_token": token})

    assert refused.status_code == 400
    assert accepted.status_code == 200 and accepted.mimetype.endswith("document")
    assert audit_actions() == ["circular_draft", "circular_download"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "circular_download")) == 1
