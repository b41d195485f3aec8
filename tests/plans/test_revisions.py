"""Revision items (修订): opened by evaluations, triggers and parent plans; closed by filing."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from emergency.extensions import db
from emergency.plans.models import Plan, RevisionItem
from emergency.plans.services import PlanData, check_plan
from tests.plans.conftest import (
    INVALID_CHOICE,
    CHECKLISTS,
    add_version,
    current_version,
    file_version,
    filed_plan,
    new_plan,
    register_plan,
    snapshot,
    submit,
    text_of,
    upload_all,
    zh,
)


def items_of(plan_id: int) -> list[RevisionItem]:
    db.session.expire_all()
    return db.session.scalars(select(RevisionItem).where(RevisionItem.plan_id == plan_id)
                              .order_by(RevisionItem.id)).all()


def evaluate(client, plan_id: int, conclusion: str, on: str = "2026-11-16"):
    return client.post(f"/plans/{plan_id}/evaluations",
                       data={"evaluated_on": on, "conclusion": conclusion,
                             "summary": "经评估，组织机构调整后职责不清。"},
                       content_type="multipart/form-data")


def new_version_filed(liaison_client, office_client, plan_id: int, key: str, *, major=True):
    """Add a version, complete its checklist, submit and file it; return it."""
    response = add_version(liaison_client, plan_id, issued_on="2026-11-18", is_major=major)
    assert response.status_code == 302, text_of(response)[:2000]
    version = current_version(plan_id)
    upload_all(liaison_client, version.id, CHECKLISTS[key])
    assert submit(liaison_client, version.id).status_code == 302
    assert file_version(office_client, version.id).status_code == 302
    return current_version(plan_id)


@pytest.fixture
def factory(units, client_for, liaison):
    return client_for(liaison(units["enterprise"]))


@pytest.fixture
def office(client_for, office_a):
    return client_for(office_a)


def test_evaluation_concluding_revise_opens_a_revision_item(units, factory):
    plan = new_plan(factory, units["enterprise"], category="overall")
    assert evaluate(factory, plan.id, "keep").status_code == 302
    assert items_of(plan.id) == []

    assert evaluate(factory, plan.id, "revise").status_code == 302
    [item] = items_of(plan.id)
    assert (item.trigger, item.raised_on, item.closed_on) == (
        "evaluation", date(2026, 11, 16), None)
    page = text_of(factory.get(f"/plans/{plan.id}"))
    assert zh("Evaluation concluded it needs revision") in page
    assert zh("open: file a revised version") in page
    assert zh("Needs revision") in page


def test_evaluation_in_the_future_is_refused(units, factory):
    plan = new_plan(factory, units["enterprise"], category="overall")
    response = evaluate(factory, plan.id, "revise", on="2026-11-21")
    assert response.status_code == 400
    assert zh("The date cannot be in the future.") in text_of(response)
    assert items_of(plan.id) == []


def test_raising_a_trigger_opens_a_revision_item(units, factory):
    plan = new_plan(factory, units["enterprise"], category="overall")
    response = factory.post(f"/plans/{plan.id}/revisions",
                            data={"trigger": "risk_changed", "note": "新增液氨储罐"})
    assert response.status_code == 302
    [item] = items_of(plan.id)
    assert (item.trigger, item.note, item.raised_on) == ("risk_changed", "新增液氨储罐",
                                                         date(2026, 11, 20))
    page = text_of(factory.get(f"/plans/{plan.id}"))
    assert zh("Risks changed significantly") in page and "新增液氨储罐" in page


def test_a_trigger_cannot_pretend_to_be_an_evaluation(units, factory):
    plan = new_plan(factory, units["enterprise"], category="overall")
    response = factory.post(f"/plans/{plan.id}/revisions", data={"trigger": "evaluation"})
    assert response.status_code == 400
    assert INVALID_CHOICE in text_of(response)
    assert items_of(plan.id) == []


def test_filing_a_new_version_closes_the_open_items(units, factory, office):
    plan = filed_plan(factory, office, units["enterprise"], "enterprise", category="overall")
    assert evaluate(factory, plan.id, "revise").status_code == 302
    assert factory.post(f"/plans/{plan.id}/revisions",
                        data={"trigger": "law_changed", "note": "办法2024施行"}).status_code == 302
    assert [i.closed_on for i in items_of(plan.id)] == [None, None]

    # Submitting is not enough: only the filing closes them.
    add_version(factory, plan.id, issued_on="2026-11-18")
    v2 = current_version(plan.id)
    upload_all(factory, v2.id, CHECKLISTS["enterprise"])
    assert submit(factory, v2.id).status_code == 302
    assert [i.closed_on for i in items_of(plan.id)] == [None, None]
    assert file_version(office, v2.id).status_code == 302

    items = items_of(plan.id)
    assert [(i.closed_by_version_id, i.closed_on) for i in items] == [
        (v2.id, date(2026, 11, 20)), (v2.id, date(2026, 11, 20))]
    page = text_of(factory.get(f"/plans/{plan.id}"))
    assert zh("closed by a filed version on %(day)s", day="2026年11月20日") in page
    assert zh("open: file a revised version") not in page


def test_new_major_version_of_a_parent_flags_its_children_and_minor_ones_do_not(
        units, client_for, liaison, office):
    water = client_for(liaison(units["department"]))
    factory = client_for(liaison(units["enterprise"]))
    parent = new_plan(water, units["department"], title="爱辉区防汛抗旱应急预案",
                      category="department")
    child = new_plan(factory, units["enterprise"], title="爱辉机械厂防汛应急预案",
                     parent_id=str(parent.id))
    sibling = new_plan(factory, units["enterprise"], title="爱辉机械厂消防应急预案")
    assert db.session.get(Plan, child.id).parent_id == parent.id

    # Filing the parent's first version flags nothing: the child was written against it.
    upload_all(water, parent.current_version_id, CHECKLISTS["department"])
    assert submit(water, parent.current_version_id).status_code == 302
    assert file_version(office, parent.current_version_id).status_code == 302
    assert items_of(child.id) == []

    v2 = new_version_filed(water, office, parent.id, "department", major=True)
    [item] = items_of(child.id)
    assert (item.trigger, item.closed_on, item.raised_on) == ("parent_changed", None,
                                                              date(2026, 11, 20))
    assert item.note == "爱辉区防汛抗旱应急预案 v2"
    assert items_of(sibling.id) == []
    assert items_of(parent.id) == []
    page = text_of(factory.get(f"/plans/{child.id}"))
    assert zh("Parent plan has a new major version") in page
    assert zh("open: file a revised version") in page
    assert v2.is_major

    # A minor revision follows the simplified procedure: no new filing, nothing flagged below.
    assert add_version(water, parent.id, issued_on="2026-11-19", is_major=False).status_code == 302
    v3 = current_version(parent.id)
    assert (v3.is_major, v3.filing_state, v3.filing_due_on) == (False, "not_required", None)
    assert submit(water, v3.id).status_code == 409
    assert len(items_of(child.id)) == 1


def test_new_version_cannot_be_issued_before_the_previous_one(units, factory):
    plan = new_plan(factory, units["enterprise"], title="爱辉机械厂综合应急预案")
    response = add_version(factory, plan.id, issued_on="2020-01-01")
    assert response.status_code == 400
    assert zh("The issue date cannot be before the previous version's (%(previous)s).",
              previous=current_version(plan.id).issued_on.isoformat()) in text_of(response)
    assert current_version(plan.id).number == 1


def edit_form(client, plan_id: int) -> dict:
    """Return the edit form as loaded (with the hidden optimistic-lock version)."""
    page = client.get(f"/plans/{plan_id}/edit").get_data(as_text=True)
    [version] = re.findall(r'<input[^>]*name="version"[^>]*value="(\d+)"', page)
    plan = db.session.get(Plan, plan_id)
    return {"title": plan.title, "category": plan.category, "hazard_class": plan.hazard_class,
            "hazard_subtype": plan.hazard_subtype or "", "parent_id": str(plan.parent_id or ""),
            "version": version}


def test_a_plan_cannot_be_its_own_parent(units, client_for, liaison):
    water = client_for(liaison(units["department"]))
    top = new_plan(water, units["department"], title="爱辉区防汛抗旱应急预案", category="department")
    below = new_plan(water, units["department"], title="爱辉区城区排涝应急预案",
                     category="department", parent_id=str(top.id))

    # Directly: the form does not even offer the plan itself.
    data = edit_form(water, top.id) | {"parent_id": str(top.id)}
    before = snapshot_parents()
    response = water.post(f"/plans/{top.id}/edit", data=data)
    assert response.status_code == 400
    assert INVALID_CHOICE in text_of(response)
    assert snapshot_parents() == before

    # Indirectly: top -> below -> top.
    data = edit_form(water, top.id) | {"parent_id": str(below.id)}
    response = water.post(f"/plans/{top.id}/edit", data=data)
    assert response.status_code == 400
    assert zh("A plan cannot be its own parent, directly or indirectly.") in text_of(response)
    assert snapshot_parents() == before

    # The service refuses both, whatever the form offered.
    db.session.expire_all()
    top_plan = db.session.get(Plan, top.id)
    for parent_id in (top.id, below.id):
        problems = check_plan(PlanData("x", "department", "natural", parent_id=parent_id),
                              top_plan.unit, top_plan)
        assert [(p.field, p.code) for p in problems] == [("parent_id", "parent_cycle")]


def snapshot_parents() -> dict[int, int | None]:
    db.session.expire_all()
    return {p.id: p.parent_id for p in db.session.scalars(select(Plan))}


def test_parent_must_be_own_plan_or_a_government_plan_above(app, tree, units, make_unit,
                                                            client_for, liaison):
    water = client_for(liaison(units["department"]))
    street = client_for(liaison(units["town"]))
    factory = client_for(liaison(units["enterprise"]))
    county_plan = new_plan(water, units["department"], title="区级防汛预案", category="department")
    street_plan = new_plan(street, units["town"], title="街道防汛预案", category="overall")
    own_plan = new_plan(factory, units["enterprise"], title="机械厂综合预案", category="overall")
    other_company = new_plan(client_for(liaison(units["chemical"])), units["chemical"],
                             title="化工厂综合预案", category="overall")
    other_county = new_plan(client_for(liaison(units["b_department"])), units["b_department"],
                            title="北安市防汛预案", category="department")

    page = factory.get(f"/plans/new/{units['enterprise'].id}").get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', page)}
    assert {county_plan.id, street_plan.id, own_plan.id} <= offered
    assert not offered & {other_company.id, other_county.id}

    for allowed in (county_plan, street_plan, own_plan):
        response = register_plan(factory, units["enterprise"], title=f"子预案{allowed.id}",
                                 parent_id=str(allowed.id))
        assert response.status_code == 302
    for refused in (other_company, other_county):
        before = snapshot(app)
        response = register_plan(factory, units["enterprise"], title="不应保存的预案",
                                 parent_id=str(refused.id))
        assert response.status_code == 400
        assert INVALID_CHOICE in text_of(response)
        assert snapshot(app) == before

    # A plan of a street below a county-level enterprise is not "above" it.
    county_firm = make_unit(tree.county_a, name="爱辉区热电公司")
    problems = check_plan(PlanData("x", "overall", "accident", parent_id=street_plan.id),
                          county_firm)
    assert [(p.field, p.code) for p in problems] == [("parent_id", "parent_not_allowed")]
    problems = check_plan(PlanData("x", "overall", "accident", parent_id=other_county.id),
                          units["enterprise"])
    assert [(p.field, p.code) for p in problems] == [("parent_id", "parent_not_allowed")]
