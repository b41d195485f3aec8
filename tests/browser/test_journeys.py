"""The liaison's and the office's journeys through the real interface, in a real Chromium.

The users see the interface in Chinese; zh() gives the text of the same catalog the server
renders from. Every page goes through Tour.check() (tests/browser/conftest.py): labelled inputs,
no sideways scrolling, local assets only, no console errors or CSP violations, Chinese drawn
with a CJK font, and a screenshot in artifacts/screenshots/.
"""

import hashlib
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from emergency.clock import CHINA
from tests.browser.conftest import PHONE, zh
from tests.documents.files import PLAN_TITLE, docx_bytes, jpeg_bytes, pdf_bytes

pytestmark = pytest.mark.browser

DOCX_NAME = f"{PLAN_TITLE}.docx"  # 某某镇防汛应急预案（2025年修订）.docx
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORM_NAME = "应急预案备案申报表.pdf"
RETURN_COMMENT = "第三章应急响应分级不清，请补充后重新报送。"


def china_today():
    """Today as the server sees it (the test's edge of the clock, like the server's)."""
    return datetime.now(CHINA).date()


def unit_of(live_server, username: str) -> tuple[int, str]:
    [(unit_id, name)] = live_server.query(
        "SELECT units.id, units.name FROM users JOIN units ON units.id = users.unit_id"
        " WHERE users.username = ?", username)
    return unit_id, name


def expect_flash(page, text: str) -> None:
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def attach(page, label: str, name: str, data: bytes, mime: str) -> None:
    page.get_by_label(label, exact=True).set_input_files(
        {"name": name, "mimeType": mime, "buffer": data})


def open_my_unit(tour, unit_name: str, step: str) -> None:
    tour.nav(zh("My unit"))
    expect(tour.page.get_by_role("heading", level=1)).to_contain_text(unit_name)
    tour.check(step)


# --- plans: the liaison's steps ----------------------------------------------------------------


def register_plan(tour, unit_name: str, title: str) -> None:
    """Register a plan with the DOCX as its plan text, and see the incomplete checklist."""
    page = tour.page
    open_my_unit(tour, unit_name, "my-unit")
    page.get_by_role("link", name=zh("Register a plan")).click()
    expect(page.get_by_role("heading", name=zh("Register a plan"))).to_be_visible()
    tour.check("register-form")
    page.get_by_label(zh("Title"), exact=True).fill(title)
    page.get_by_label(zh("Category"), exact=True).select_option(label=zh("Special plan"))
    page.get_by_label(zh("Hazard class"), exact=True).select_option(label=zh("Natural disaster"))
    page.get_by_label(zh("Hazard subtype (e.g. flood, fire)")).fill("防汛")
    page.get_by_label(zh("Issue date (印发/公布日期)")).fill(
        (china_today() - timedelta(days=1)).isoformat())
    page.get_by_label(zh("Signed by")).select_option(label=zh("Principal (主要负责人)"))
    page.get_by_label(zh("Summary of changes")).fill("根据2024年新版管理办法全面修订。")
    page.get_by_label(zh("Document type")).select_option(label=zh("Plan text"))
    attach(page, zh("First document (optional)"), DOCX_NAME, docx_bytes(), DOCX_MIME)
    page.get_by_role("button", name=zh("Register"), exact=True).click()
    expect_flash(page, zh("The plan was registered. Upload its documents, then submit it for "
                          "filing."))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    # The completeness checklist: the plan text is there, the filing form is missing.
    checklist = page.get_by_role("heading", name=zh("Filing checklist")).locator("+ ul")
    expect(checklist).to_contain_text(f"✓ {zh('Plan text')}")
    expect(checklist).to_contain_text(f"✗ {zh('Filing application form')} · {zh('missing')}")
    expect(page.get_by_role("link", name=DOCX_NAME)).to_be_visible()
    expect(page.get_by_role("button", name=zh("Submit for filing"))).to_have_count(0)
    tour.check("registered-checklist-incomplete")


def upload_plan_document(tour, doc_type: str, name: str, data: bytes, mime: str,
                         step: str) -> None:
    page = tour.page
    page.get_by_label(zh("Document type")).select_option(label=zh(doc_type))
    attach(page, zh("File"), name, data, mime)
    page.get_by_role("button", name=zh("Upload")).click()
    expect_flash(page, zh("The document was uploaded."))
    tour.check(step)


def submit(tour, step: str) -> None:
    page = tour.page
    expect(page.get_by_text("✗")).to_have_count(0)  # the checklist is complete
    page.get_by_role("button", name=zh("Submit for filing")).click()
    expect_flash(page, zh("The plan was submitted for filing."))
    state = re.compile(re.escape(zh("Waiting for review")))
    expect(page.get_by_role("heading", name=state)).to_be_visible()
    tour.check(step)


# --- plans: the office's steps -----------------------------------------------------------------


def open_from_review_queue(tour, title: str) -> None:
    page = tour.page
    tour.nav(zh("Filing review"))
    expect(page.get_by_role("heading", name=zh("Filing review queue"))).to_be_visible()
    tour.check("review-queue")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    tour.check("submitted-plan")


# --- the journeys ------------------------------------------------------------------------------


def test_liaison_logs_in_with_the_keyboard_alone(open_tour):
    liaison = open_tour("liaison")
    liaison.log_in("liaison", keyboard=True)
    expect(liaison.page.get_by_role("link", name=zh("My unit"))).to_be_visible()


def test_filing_journey_return_resubmit_file_receipt_download(open_tour, live_server):
    unit_id, unit_name = unit_of(live_server, "liaison")
    title = "校园防汛应急预案（桌面端）"
    liaison = open_tour("liaison")
    liaison.log_in("liaison")
    register_plan(liaison, unit_name, title)
    upload_plan_document(liaison, "Filing application form", FORM_NAME, pdf_bytes(),
                         "application/pdf", "filing-form-uploaded")
    submit(liaison, "submitted")

    # The county office returns it with a reason.
    office = open_tour("county-office")
    office.log_in("aihui")
    open_from_review_queue(office, title)
    office.page.get_by_label(zh("Plan elements incomplete")).check()
    office.page.get_by_label(zh("Comment to the unit")).fill(RETURN_COMMENT)
    office.page.get_by_role("button", name=zh("Return for correction")).click()
    expect_flash(office.page, zh("The plan was returned to the unit."))
    office.check("returned")

    # The liaison sees the reason, uploads a corrected plan text and submits again.
    page = liaison.page
    open_my_unit(liaison, unit_name, "my-unit-again")
    page.get_by_role("link", name=title, exact=True).click()
    reason = page.get_by_role("alert").filter(has_text=zh("Returned by the office:"))
    expect(reason).to_contain_text(zh("Plan elements incomplete"))
    expect(reason).to_contain_text(RETURN_COMMENT)
    liaison.check("return-reason-seen")
    revised = docx_bytes(f"{PLAN_TITLE}（补充应急响应分级）")
    upload_plan_document(liaison, "Plan text", DOCX_NAME, revised, DOCX_MIME,
                         "revised-text-uploaded")
    submit(liaison, "resubmitted")

    # The office files it and opens the printable receipt.
    open_from_review_queue(office, title)
    office.page.get_by_role("button", name=zh("File this plan")).click()
    expect_flash(office.page, zh("The plan was filed."))
    [(county_code,)] = live_server.query(
        "SELECT substr(regions.code, 1, 6) FROM units JOIN regions ON regions.id = units.region_id"
        " WHERE units.id = ?", unit_id)
    filing_number = re.compile(rf"{county_code}-\d{{4}}-\d{{4}}")
    expect(office.page.locator("main")).to_contain_text(filing_number)
    office.check("filed")
    office.page.get_by_role("link", name=zh("Filing receipt")).click()
    receipt = office.page.locator("article.receipt")
    expect(receipt.get_by_role("heading", name=zh("Emergency plan filing receipt"))).to_be_visible()
    for text in (title, unit_name, filing_number):
        expect(receipt).to_contain_text(text)
    office.check("receipt")
    office.page.emulate_media(media="print")
    expect(office.page.get_by_role("navigation", name=zh("Main navigation"))).to_be_hidden()
    expect(office.page.get_by_role("link", name=zh("Back to the plan"))).to_be_hidden()
    office.screenshot("receipt-print")
    office.page.emulate_media(media="screen")

    # The download is offered under the original Chinese name, with the revised content.
    office.page.get_by_role("link", name=zh("Back to the plan")).click()
    expect(office.page.get_by_role("heading", level=1)).to_have_text(title)
    office.check("filed-plan")
    with office.page.expect_download() as info:
        office.page.get_by_role("link", name=DOCX_NAME).last.click()
    download = info.value
    assert download.suggested_filename == DOCX_NAME
    with open(download.path(), "rb") as saved:
        assert hashlib.sha256(saved.read()).digest() == hashlib.sha256(revised).digest()

    # And the liaison sees the plan filed.
    page.reload()
    expect(page.get_by_role("heading", name=re.compile(re.escape(zh("Filed"))))).to_be_visible()
    expect(page.locator("main")).to_contain_text(filing_number)
    liaison.check("liaison-sees-filed")


def test_liaison_journey_at_phone_width(open_tour, live_server):
    _unit_id, unit_name = unit_of(live_server, "liaison")
    liaison = open_tour("liaison-phone", viewport=PHONE)
    liaison.log_in("liaison", keyboard=True)
    register_plan(liaison, unit_name, "校园防汛应急预案（手机端）")
    upload_plan_document(liaison, "Filing application form", FORM_NAME, pdf_bytes(),
                         "application/pdf", "filing-form-uploaded")
    submit(liaison, "submitted")


# --- drills --------------------------------------------------------------------------------


def drill_period_row(page, period: str):
    """Return the compliance panel's row of the unit's periodic drill obligation for period."""
    return (page.locator("#obligations tbody tr").filter(has_text=zh("Drills per period"))
            .filter(has_text=period))


def open_obligations(tour, unit_name: str, step: str) -> None:
    open_my_unit(tour, unit_name, f"{step}-unit")
    tour.page.get_by_role("link", name=zh("Obligations")).click()
    expect(tour.page.get_by_role("heading", level=1)).to_have_text(
        zh("What %(unit)s owes", unit=unit_name))
    tour.check(step)


def test_drill_journey_record_correct_verify_and_compliance_turns_done(open_tour, live_server):
    unit_id, unit_name = unit_of(live_server, "liaison")
    # A plan of the demo, not one another test registered.
    [(plan_title,)] = live_server.query(
        "SELECT title FROM plans WHERE unit_id = ? ORDER BY id LIMIT 1", unit_id)
    liaison = open_tour("liaison")
    page = liaison.page
    liaison.log_in("liaison")

    # The panel shows a month without a drill (the demo school missed one) as overdue.
    open_obligations(liaison, unit_name, "obligations-overdue")
    overdue = (page.locator("#obligations tbody tr[data-status='overdue']")
               .filter(has_text=zh("Drills per period")))
    if not overdue.count():
        if china_today().month == 1:
            pytest.skip("no school month of this year has ended yet, so none can be overdue")
        pytest.fail("the demo school should have one overdue month without a drill")
    period = re.search(r"\d{4}-\d{2}", overdue.first.inner_text()).group()
    year, day = period[:4], f"{period}-15"  # the 15th of every school month is in term

    # The liaison adds the drill to that year's plan...
    open_my_unit(liaison, unit_name, "my-unit")
    page.get_by_role("link", name=zh("Annual drill plan")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(unit_name)
    liaison.check("drill-plan-this-year")
    page.get_by_label(zh("Year"), exact=True).select_option(year)
    page.get_by_role("button", name=zh("Show")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        zh("Annual drill plan %(year)s", year=year))
    liaison.check("drill-plan")
    title = f"{period}补做应急疏散演练"
    page.get_by_label(zh("Title"), exact=True).fill(title)
    page.get_by_label(zh("Planned date")).fill(day)
    page.get_by_label(zh("Drill form")).select_option(label=zh("Live drill"))
    page.get_by_label(zh("Drill scope")).select_option(label=zh("Single-item"))
    page.get_by_label(zh("Drill purpose")).select_option(label=zh("Testing"))
    page.get_by_role("group", name=zh("Plans exercised")).get_by_label(plan_title).check()
    page.get_by_role("button", name=zh("Add to the plan")).click()
    expect_flash(page, zh("The drill was added to the annual plan."))
    liaison.check("drill-planned")

    # ...records it as held, with its evaluation report...
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_role("link", name=plan_title)).to_be_visible()
    liaison.check("drill-page")
    expect(page.get_by_label(zh("Date held"))).to_have_value(day)
    page.get_by_label(zh("Duration (minutes)")).fill("30")
    page.get_by_label(zh("Participants")).fill("820")
    page.get_by_label(zh("Evacuation time (seconds)")).fill("150")
    page.get_by_label(zh("Summary"), exact=True).fill("全校师生两分半钟内疏散完毕，二楼西侧楼梯拥堵。")
    page.get_by_role("button", name=zh("Save the record")).click()
    expect_flash(page, zh("The drill record was saved."))
    liaison.check("drill-held")
    page.get_by_label(zh("Document type")).select_option(label=zh("Drill evaluation report"))
    attach(page, zh("File"), "应急疏散演练评估报告.pdf", pdf_bytes(), "application/pdf")
    page.get_by_role("button", name=zh("Upload")).click()
    expect_flash(page, zh("The document was uploaded."))
    expect(page.locator("#checklist")).to_contain_text(f"✓ {zh('Drill evaluation report')}")
    expect(page.get_by_role("link", name="应急疏散演练评估报告.pdf")).to_be_visible()
    liaison.check("evaluation-report-uploaded")

    # ...turns a finding into a corrective action and closes it with evidence.
    page.get_by_text(zh("Add a corrective action"), exact=True).first.click()  # <summary>
    page.get_by_label(zh("Problem found")).fill("二楼西侧楼梯疏散拥堵")
    page.get_by_label(zh("Responsible person")).fill("王老师")
    page.get_by_label(zh("Due date")).fill((china_today() + timedelta(days=14)).isoformat())
    page.get_by_label(zh("Corrective measures")).fill("增设引导员，调整二楼班级疏散路线。")
    page.get_by_role("button", name=zh("Add a corrective action")).click()
    expect_flash(page, zh("The corrective action was added."))
    action = page.locator("[id^='action-']").filter(has_text="二楼西侧楼梯疏散拥堵")
    expect(action).to_have_attribute("data-status", "open")
    liaison.check("action-added")
    attach(action, zh("Evidence of correction"), "整改后疏散路线照片.jpg", jpeg_bytes(), "image/jpeg")
    action.get_by_label(zh("What was done")).fill("已增设引导员，二楼班级改走东侧楼梯。")
    action.get_by_role("button", name=zh("Close"), exact=True).click()
    expect_flash(page, zh("The corrective action was closed. The office will verify it."))
    expect(action).to_have_attribute("data-status", "closed")
    liaison.check("action-closed")
    drill_url = page.url.split("#")[0]

    # The county office verifies it.
    office = open_tour("county-office")
    office.log_in("aihui")
    office.page.goto(drill_url)
    office_action = office.page.locator("[id^='action-']").filter(has_text="二楼西侧楼梯疏散拥堵")
    expect(office_action.get_by_role("link", name="整改后疏散路线照片.jpg")).to_be_visible()
    office.check("drill-for-office")
    office_action.get_by_role("button", name=zh("Verify")).click()
    expect_flash(office.page, zh("The corrective action was verified."))
    expect(office_action).to_have_attribute("data-status", "verified")
    office.check("action-verified")

    # The month is done on the unit's compliance panel.
    open_obligations(liaison, unit_name, "obligations-done")
    expect(drill_period_row(page, period)).to_have_attribute("data-status", "done")


# --- access, language, every page ----------------------------------------------------------


def test_every_page_of_the_admin_menu_at_phone_width(open_tour):
    """The same checks on each page of the main menu (the admin's is the longest)."""
    admin = open_tour("admin-phone", viewport=PHONE)
    admin.log_in("admin")
    menu = admin.page.get_by_role("navigation", name=zh("Main navigation")).locator("a.nav-link")
    paths = menu.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert len(paths) >= 8, paths
    for path in paths:
        response = admin.page.goto(path)
        assert response.status == 200, path
        admin.check(path.strip("/").replace("/", "-") or "start")



def test_county_office_gets_404_for_a_unit_in_another_county(open_tour, live_server):
    other_unit, _name = unit_of(live_server, "liaison2")
    [(office_path,)] = live_server.query(
        "SELECT regions.path FROM users JOIN regions ON regions.id = users.region_id"
        " WHERE users.username = 'aihui'")
    [(unit_path,)] = live_server.query(
        "SELECT regions.path FROM units JOIN regions ON regions.id = units.region_id"
        " WHERE units.id = ?", other_unit)
    assert not unit_path.startswith(office_path), "the demo unit should be outside 爱辉区"
    office = open_tour("county-office")
    office.log_in("aihui")
    url = f"{live_server.url}/units/{other_unit}"
    # Chromium reports any 404 document in the console; this one is the point of the test.
    office.allow_console_error(url, "404")
    response = office.page.goto(url)
    assert response.status == 404
    expect(office.page.get_by_role("heading", name="404")).to_be_visible()
    expect(office.page.locator("main")).to_contain_text(
        zh("The page or record was not found, or it is outside your scope."))
    office.check("other-county-unit-404")


def test_language_switch_to_english_and_back(open_tour):
    office = open_tour("city-office")
    office.log_in("office")
    page = office.page
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="Plans", exact=True)).to_be_visible()
    office.check("english")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("button", name=zh("Log out"))).to_be_visible()
    expect(page.get_by_role("link", name=zh("Plans"), exact=True)).to_be_visible()
    office.check("chinese-again")


def test_page_checks_catch_csp_violations_and_outside_requests(open_tour):
    """The checks above are only worth something if they notice what they look for."""
    tour = open_tour("self-test")
    page = tour.page
    page.goto("/login")
    tour.check("login")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.inlineRan = true';
                             document.body.append(s); }""")
    # Polled from Python: wait_for_function compiles its predicate inside the page,
    # which the CSP under test forbids (unsafe-eval), so it would fail whenever the
    # report had not yet arrived on the first try.
    for _ in range(100):
        if page.evaluate("window.__cspReported") > 0:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.__cspReported") > 0, "the CSP violation was never reported"
    assert page.evaluate("window.inlineRan") is None
    with pytest.raises(PlaywrightError):
        page.goto("http://192.0.2.1/cdn/bootstrap.css")
    problems = tour.take_problems()
    assert any("request outside 127.0.0.1 (blocked): http://192.0.2.1/" in p for p in problems)
    assert any(p.startswith("CSP violation") and "blocked inline" in p for p in problems), problems
    assert any(p.startswith("console error") and "Content Security Policy" in p for p in problems)
    tour.unchecked.clear()  # the blocked page never loaded


def test_dashboard_renders_its_charts(open_tour):
    leader = open_tour("leader")  # read-only: the dashboard is what a leader comes for
    leader.log_in("leader")
    page = leader.page
    leader.nav(zh("Dashboard"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Dashboard"))
    expect(page.locator("main svg.chart")).to_have_count(4)
    for title in (zh("Obligations met, by region (%)"), zh("Status of obligations by unit kind"),
                  zh("Overdue items at each month's last scan"),
                  zh("Drills held per month, %(year)s", year=china_today().year)):
        chart = page.get_by_role("img", name=title)
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 300 and box["height"] > 50, (title, box)
        bars = chart.evaluate("""svg => [...svg.querySelectorAll('rect')]
            .filter(rect => rect.getBBox().width > 0 && rect.getBBox().height > 0).length""")
        assert bars, f"the chart {title!r} draws no bar"
    leader.check("dashboard")
    # Each figure leads to the items behind it.
    page.locator("#figures a").filter(has_text=zh("Plans overdue for filing")).click()
    expect(page).to_have_url(re.compile(r"/compliance/\?.*obligation=file_plan"))
    leader.check("overdue-filings")


def test_office_assesses_the_year_and_sends_the_monthly_circular(open_tour):
    """The year-end page with its grades and workbook, then a circular edited and downloaded."""
    from docx import Document as Docx
    from openpyxl import load_workbook

    office = open_tour("assessment-and-circular")
    office.log_in("office")
    page = office.page
    office.nav(zh("Assessment"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Year-end assessment"))
    figures = page.locator("#assessment-figures")
    expect(figures).to_contain_text("爱辉区")
    expect(figures).to_contain_text(zh("Below standard"))
    office.check("assessment")
    with page.expect_download() as info:
        page.get_by_role("link", name=zh("Download the assessment workbook")).click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as saved:  # the saved file has no extension
        sheets = load_workbook(saved, read_only=True).sheetnames
    assert len(sheets) > 2, sheets

    office.nav(zh("Monthly circular"))
    office.check("circular-choose")
    page.get_by_role("button", name=zh("Generate draft")).click()
    title = page.get_by_label(zh("Circular title"))
    expect(title).to_have_value(re.compile("通报"))
    office.check("circular-draft")
    title.fill("关于应急预案逾期事项的通报（测试）")
    with page.expect_download() as info:
        page.get_by_role("button", name=zh("Download DOCX")).click()
    download = info.value
    assert download.suggested_filename == "关于应急预案逾期事项的通报（测试）.docx"
    with open(download.path(), "rb") as saved:
        text = "\n".join(p.text for p in Docx(saved).paragraphs)
    assert "关于应急预案逾期事项的通报（测试）" in text and "爱辉区" in text
