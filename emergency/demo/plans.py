"""Plans for the 黑河市 demo, driven through the real services on days in the past.

Every plan first gets a story: its versions and, for each, the days it was issued, registered,
documented, submitted, returned, filed or deemed filed, then evaluations and revision items.
The stories become dated steps that run in date order through create_plan, add_version,
save_upload, submit, return_for_correction, file_version, apply_deemed_filings,
record_evaluation and raise_revision, each told the simulated day. Deadlines, filing numbers,
events and revision items are therefore exactly what the services would have produced on those
days, and the rows carry the simulated times. Nothing here reads the clock: `today` is given.
"""

import bisect
import io
import random
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from emergency.auth.models import Role, User
from emergency.compliance.dates import add_months
from emergency.compliance.deadlines import filing_deadline, review_deadline
from emergency.compliance.services import load_calendar
from emergency.compliance.workdays import WorkdayCalendar
from emergency.demo import names
from emergency.demo.names import PlanTopic, ReturnNote
from emergency.demo.replay import StoryRunner
from emergency.documents.models import DocType, Document
from emergency.documents.services import Owner, save_upload
from emergency.extensions import db
from emergency.plans import filing
from emergency.plans.checklist import principal_signature_required, required_documents
from emergency.plans.filing import ReturnReason
from emergency.plans.models import (
    Evaluation,
    EvaluationConclusion,
    FilingEvent,
    FilingState,
    Plan,
    PlanVersion,
    RevisionItem,
    RevisionTrigger,
    SignerRole,
)
from emergency.plans.revisions import EvaluationData, raise_revision, record_evaluation
from emergency.plans.services import PlanData, VersionData, add_version, create_plan
from emergency.units.models import RiskTag, Unit, UnitKind

CHINA = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)
#: How far back the registry's history goes.
HISTORY_MONTHS = 48
# Scale. Every version goes through the services and every document is a real file written
# (and fsynced) by save_upload, so the cost grows with both: about 20-45 ms per filed version
# and 7-10 ms per document, depending on the database. These shares keep the load to seconds
# and the files to a few hundred; raise them for a fuller registry.
#: Share of the units of each kind that have their main plan (the one the rules require);
#: the others are the "no plan" findings.
COVERAGE = {
    UnitKind.TOWN_STREET: 0.6,
    UnitKind.VILLAGE_COMMUNITY: 0.5,
    UnitKind.SCHOOL: 0.45,
    UnitKind.KINDERGARTEN: 0.4,
    UnitKind.UNIVERSITY: 1.0,
    UnitKind.ENTERPRISE: 0.3,
    UnitKind.GOVERNMENT_DEPARTMENT: 0.8,
    UnitKind.PUBLIC_INSTITUTION: 0.45,
}
#: Share of the covered units that also have their special (and, for firms, on-site) plans.
FULL_SET = {
    UnitKind.TOWN_STREET: 0.25,
    UnitKind.SCHOOL: 0.25,
    UnitKind.KINDERGARTEN: 0.25,
    UnitKind.UNIVERSITY: 1.0,
    UnitKind.ENTERPRISE: 0.3,
    UnitKind.PUBLIC_INSTITUTION: 0.3,
}

# Where each plan's current version stands on `today` (the outcome of its story).
FILED = "filed"  # filed by the office
DEEMED = "deemed"  # enterprise submission left unanswered past the review period
RETURNED = "returned"  # returned for correction, not yet resubmitted
WAITING = "waiting"  # submitted, review period still running
WAITING_LATE = "waiting_late"  # submitted, review period over (never enterprises: deemed filed)
DRAFT_DUE = "draft_due"  # issued recently, filing deadline still ahead
DRAFT_OVERDUE = "draft_overdue"  # issued, never submitted, filing deadline passed
MINOR = "minor"  # a minor revision of a filed plan: the simplified procedure, no new filing
#: Relative weights of the outcomes; enterprises have no WAITING_LATE (silence files them).
ENTERPRISE_OUTCOMES = {FILED: 34, DEEMED: 32, RETURNED: 8, WAITING: 6, DRAFT_OVERDUE: 12,
                       DRAFT_DUE: 8}
OTHER_OUTCOMES = {FILED: 62, RETURNED: 7, WAITING: 5, WAITING_LATE: 6, DRAFT_OVERDUE: 12,
                  DRAFT_DUE: 8}
#: Plans others hang below (overall and department plans) are old and mostly filed.
PARENT_FILED_WEIGHT = 5
#: How many versions a plan has: mostly one, some revised once or twice.
VERSION_COUNTS = ((1, 2, 3), (88, 10, 2))
#: Share of the revisions that are minor (updated contacts, resources...): not filed again.
MINOR_SHARE = 0.35
LATE_SUBMISSION_SHARE = 0.14
RETURN_SHARE = 0.12
#: From this day a new plan cites the 2024 办法; a version issued between its publication
#: (国办发〔2024〕5号, 2024-01-31) and this day may still cite the 2013 one and be returned for it.
NEW_BASIS_FROM = date(2024, 7, 1)
BANFA_2024_PUBLISHED = date(2024, 2, 1)
#: The revised 突发事件应对法 took effect.
LAW_2024_IN_FORCE = date(2024, 11, 1)


#: How a document was redone after a return: a stamped scan, or a revised text.
SCAN, REVISED = "scan", "revised"


class DemoPlanError(RuntimeError):
    """The plan stories disagree with what the services did (a bug in this module)."""


@dataclass
class PlanSummary:
    """What the plan loader added."""

    plans: int = 0
    versions: int = 0
    documents: int = 0
    evaluations: int = 0
    open_revision_items: int = 0
    #: Plans by the filing state of their current version, in workflow order.
    states: dict[str, int] = field(default_factory=dict)
    #: Of those, the ones past a deadline: the filing deadline for drafts and returned
    #: versions, the office's review deadline for submissions.
    overdue: dict[str, int] = field(default_factory=dict)


# --- small real files ----------------------------------------------------------------------


def pdf_bytes(title: str, reference: str, stamp: date) -> bytes:
    """Return a small valid one-page PDF; the title goes into its document information."""
    content = b"BT /F1 11 Tf 20 100 Td (%s) Tj ET" % reference.encode("ascii")
    title_hex = ("FEFF" + title.encode("utf-16-be").hex().upper()).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title <%s> /Producer (emergency demo) /CreationDate (D:%s090000+08'00') >>"
        % (title_hex, stamp.strftime("%Y%m%d").encode("ascii")),
    ]
    # The binary comment tells transfer tools the file is not text.
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


_DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(paragraphs: list[str], stamp: date) -> bytes:
    """Return a minimal Word document (python-docx and Word open it): a bold title, then text.

    The zip members carry `stamp` instead of the current time, so the bytes are reproducible.
    """
    title, *rest = paragraphs
    body = ('<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/><w:sz w:val="32"/>'
            f"</w:rPr><w:t>{escape(title)}</w:t></w:r></w:p>")
    body += "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
                    for text in rest)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{_W}"><w:body>{body}<w:sectPr/></w:body></w:document>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("[Content_Types].xml", _DOCX_CONTENT_TYPES),
                           ("_rels/.rels", _DOCX_RELS), ("word/document.xml", document)):
            info = zipfile.ZipInfo(name, (stamp.year, stamp.month, stamp.day, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


# --- what each unit has --------------------------------------------------------------------


@dataclass
class PlanSpec:
    """One plan of the demo: whose, which, and its 上位预案 (parent) if any."""

    unit: Unit
    topic: PlanTopic
    title: str
    parent: "Story | None" = None
    has_children: bool = False


@dataclass
class Step:
    """One thing that happens to a plan on a day; `at` (the moment) is filled in afterwards."""

    day: date
    action: str
    args: dict = field(default_factory=dict)
    at: datetime | None = None


@dataclass
class Story:
    spec: PlanSpec
    order: int
    outcome: str = FILED
    version_count: int = 1
    steps: list[Step] = field(default_factory=list)
    plan: Plan | None = None
    version: PlanVersion | None = None

    @property
    def first_day(self) -> date:
        return self.steps[0].day

    @property
    def is_enterprise(self) -> bool:
        return self.spec.unit.kind == UnitKind.ENTERPRISE


def _place(unit: Unit) -> str:
    """Return a township's name as used in titles (北安's 街道 carry a statistical 地区 suffix)."""
    return unit.region.name.removesuffix("地区")


def _county(unit: Unit) -> str | None:
    """Return the county code of a unit, or None for city-level bodies."""
    codes = unit.region.ancestor_codes
    return codes[2] if len(codes) > 2 else None


def _is_street(unit: Unit) -> bool:
    """Tell whether a township unit is a 街道 (统计用区划代码 乡级 part 001–099)."""
    return unit.region.code[6:9] < "100"


class _Planner:
    """Decide which units have which plans, parents first, drawing from one generator."""

    def __init__(self, rng: random.Random, units: list[Unit], always: set[int]):
        self.rng = rng
        self.units = units
        self.always = always
        self.stories: list[Story] = []
        self.by_kind: dict[str, list[Unit]] = {}
        for unit in units:
            self.by_kind.setdefault(unit.kind, []).append(unit)
        self.town_overall: dict[int, Story] = {}  # town region id -> the town's overall plan
        self.departments: dict[tuple[str | None, str], Story] = {}  # (county, 局) -> plan

    def plan_all(self) -> list[Story]:
        self._departments()
        self._towns()
        self._villages()
        self._schools()
        self._enterprises()
        self._institutions()
        return self.stories

    def _add(self, unit: Unit, topic: PlanTopic, title: str, parent: Story | None = None) -> Story:
        story = Story(PlanSpec(unit, topic, title, parent), order=len(self.stories))
        if parent is not None:
            parent.spec.has_children = True
        self.stories.append(story)
        return story

    def _covered(self, unit: Unit) -> bool:
        draw = self.rng.random()
        return unit.id in self.always or draw < COVERAGE[unit.kind]

    def _full_set(self, unit: Unit) -> bool:
        draw = self.rng.random()
        return unit.id in self.always or draw < FULL_SET[unit.kind]

    def _departments(self) -> None:
        for unit in self.by_kind.get(UnitKind.GOVERNMENT_DEPARTMENT, []):
            if not self._covered(unit):
                continue
            key = next((k for k in names.DEPARTMENT_PLANS if unit.name.endswith(k)), None)
            if key is None:
                continue
            county = _county(unit)
            # A county bureau's plan hangs below the city bureau's (created first: lower id).
            parent = self.departments.get((None, key)) if county else None
            story = self._add(unit, names.DEPARTMENT_PLANS[key],
                              unit.name + names.DEPARTMENT_PLANS[key].suffix, parent)
            self.departments[(county, key)] = story

    def _towns(self) -> None:
        for unit in self.by_kind.get(UnitKind.TOWN_STREET, []):
            if not self._covered(unit):
                continue
            place = _place(unit)
            overall = self._add(unit, names.TOWN_OVERALL, place + names.TOWN_OVERALL.suffix)
            self.town_overall[unit.region_id] = overall
            if not self._full_set(unit):
                continue
            pool = names.STREET_SPECIALS if _is_street(unit) else names.TOWN_SPECIALS
            count = 2 if self.rng.random() < (0.3 if _is_street(unit) else 0.45) else 1
            picked = sorted(self.rng.sample(range(len(pool)), count)) if count > 1 else [
                0 if _is_street(unit) else self.rng.choice((0, 0, 1, 2))]
            for index in picked:
                self._add(unit, pool[index], place + pool[index].suffix, overall)

    def _villages(self) -> None:
        for unit in self.by_kind.get(UnitKind.VILLAGE_COMMUNITY, []):
            if not self._covered(unit):
                continue
            town = unit.region.parent
            parent = self.town_overall.get(town.id)
            title = town.name.removesuffix("地区") + unit.region.name + names.VILLAGE_BRIEF.suffix
            self._add(unit, names.VILLAGE_BRIEF, title, parent)

    def _schools(self) -> None:
        for kind in (UnitKind.SCHOOL, UnitKind.KINDERGARTEN, UnitKind.UNIVERSITY):
            for unit in self.by_kind.get(kind, []):
                if not self._covered(unit):
                    continue
                county = None if kind == UnitKind.UNIVERSITY else _county(unit)
                bureau = self.departments.get((county, "教育局"))
                overall_topic = (names.KINDERGARTEN_OVERALL if kind == UnitKind.KINDERGARTEN
                                 else names.SCHOOL_OVERALL)
                overall = self._add(unit, overall_topic, unit.name + overall_topic.suffix, bureau)
                if not self._full_set(unit):
                    continue
                topics = [names.SCHOOL_SPECIAL]
                if kind == UnitKind.UNIVERSITY:
                    topics.append(names.UNIVERSITY_EXTRA)
                for topic in topics:
                    self._add(unit, topic, unit.name + topic.suffix, overall)

    def _enterprises(self) -> None:
        for unit in self.by_kind.get(UnitKind.ENTERPRISE, []):
            if not self._covered(unit):
                continue
            word = next(w for w in names.INDUSTRY_PLANS if w in unit.name)
            specials, onsites = names.INDUSTRY_PLANS[word]
            overall = self._add(unit, names.ENTERPRISE_OVERALL,
                                unit.name + names.ENTERPRISE_OVERALL.suffix)
            if not self._full_set(unit):
                continue
            two_specials = len(specials) > 1 and bool(unit.risk_tags) and self.rng.random() < 0.35
            two_onsites = self.rng.random() < 0.35
            for topic in self._pick(specials, 2 if two_specials else 1):
                self._add(unit, topic, unit.name + topic.suffix, overall)
            for topic in self._pick(onsites, 2 if two_onsites else 1):
                self._add(unit, topic, unit.name + topic.suffix, overall)

    def _pick(self, topics: tuple[PlanTopic, ...], count: int) -> list[PlanTopic]:
        """Pick topics, keeping the pool's order (the first is the most typical)."""
        if count == 1:
            return [topics[0] if self.rng.random() < 0.6 else self.rng.choice(topics)]
        return [topics[i] for i in sorted(self.rng.sample(range(len(topics)), count))]

    def _institutions(self) -> None:
        health = self.departments.get((None, "卫生健康委员会"))
        for unit in self.by_kind.get(UnitKind.PUBLIC_INSTITUTION, []):
            if not self._covered(unit):
                continue
            parent = health if "医院" in unit.name else None
            overall = self._add(unit, names.INSTITUTION_OVERALL,
                                unit.name + names.INSTITUTION_OVERALL.suffix, parent)
            tags = unit.risk_tags
            extra = (names.INSTITUTION_CROWD if RiskTag.CROWDED_PLACE in tags
                     else names.INSTITUTION_FIRE if tags else None)
            if extra is not None and self._full_set(unit):
                self._add(unit, extra, unit.name + extra.suffix, overall)


# --- stories -------------------------------------------------------------------------------


@dataclass
class _Version:
    """One version's path in a story, before it is numbered."""

    issued: date
    registered: date
    signer: str
    steps: list[Step]
    end: date  # the last day of its own path (filed, deemed, returned, submitted...)
    outcome: str
    major: bool = True


#: What prompts a revision when no evaluation did.
_DETAIL_NOTES = [(trigger, note) for trigger, note in names.REVISION_NOTES if trigger in (
    RevisionTrigger.ORGANISATION_CHANGED, RevisionTrigger.RESOURCES_CHANGED)]


class _Storyteller:
    """Write each plan's history so that it ends, on `today`, in the plan's outcome."""

    def __init__(self, rng: random.Random, today: date, calendar: WorkdayCalendar):
        self.rng = rng
        self.today = today
        self.last = today - ONE_DAY  # nothing happens on `today` itself: the load is its morning
        self.calendar = calendar
        self.start = add_months(today, -HISTORY_MONTHS)
        # Every working day the stories may need, for bisecting instead of walking the calendar.
        day, self._workdays = self.start - timedelta(days=60), []
        while day <= today + timedelta(days=60):
            if calendar.is_workday(day):
                self._workdays.append(day)
            day += ONE_DAY

    # --- calendar helpers

    def workdays(self, low: date, high: date) -> list[date]:
        """Return the working days in [low, high]."""
        left = bisect.bisect_left(self._workdays, low)
        right = bisect.bisect_right(self._workdays, high)
        return self._workdays[left:right]

    def pick_workday(self, low: date, high: date) -> date | None:
        days = self.workdays(low, high)
        return self.rng.choice(days) if days else None

    def next_workday(self, day: date) -> date:
        """Return the first working day on or after `day`."""
        return self._workdays[bisect.bisect_left(self._workdays, day)]

    def filing_due(self, issued: date) -> date:
        return filing_deadline(issued, self.calendar).date

    def review_due(self, submitted: date) -> date:
        return review_deadline(submitted, self.calendar).date

    # --- stories

    def tell(self, story: Story, floor: date) -> None:
        """Fill story.steps: versions from `floor` (after the parent's first day), then reviews."""
        chain = None
        # A minor revision revises something; a parent plan is old, so when its newest version
        # is not filed it is a revision.
        parent_revising = story.spec.has_children and story.outcome not in (FILED, DEEMED)
        fewest = 2 if story.outcome == MINOR or parent_revising else 1
        for count in range(max(story.version_count, fewest), fewest - 1, -1):
            story.version_count = count  # fewer versions when a late parent leaves no room
            for _ in range(20):
                chain = self._chain(story, floor)
                if chain is not None:
                    break
            if chain is not None:
                break
        if chain is None:
            raise DemoPlanError(f"no history fits {story.spec.title} ({story.outcome})")
        steps = []
        for number, version in enumerate(chain, start=1):
            pool = names.MAJOR_CHANGES if version.major else names.MINOR_CHANGES
            steps.append(Step(version.registered, "create" if number == 1 else "version", {
                "issued": version.issued, "signer": version.signer, "major": version.major,
                "summary": None if number == 1 else self.rng.choice(pool)}))
            steps += version.steps
        steps += self._reviews(story, chain)
        steps.sort(key=lambda step: step.day)  # stable: same-day steps keep their order
        self._clock(steps)
        story.steps = steps

    def _chain(self, story: Story, floor: date) -> list[_Version] | None:
        """Return the versions, oldest first, or None when this draw does not fit."""
        count = story.version_count
        current = self._current(story, floor, count)
        if current is None:
            return None
        chain = [current]
        for remaining in range(count - 1, 0, -1):
            newer = chain[-1]
            low = floor + timedelta(days=200 * (remaining - 1))
            high = newer.issued - timedelta(days=150)
            low = max(low, high - timedelta(days=1000))
            if remaining == 1 and story.spec.has_children:
                high = min(high, floor + timedelta(days=365))
            issued = self.pick_workday(low, high) if low <= high else None
            if issued is None:
                return None
            before = newer.issued - timedelta(days=10)
            if remaining > 1 and self.rng.random() < MINOR_SHARE:
                older = self._minor(story, issued, before)
            else:
                outcome = DEEMED if story.is_enterprise and self.rng.random() < 0.25 else FILED
                older = self._filed(story, issued, outcome, before)
            if older is None:
                return None
            chain.append(older)
        chain.reverse()
        return chain

    def _signer(self, story: Story) -> str:
        deputy_share = 0.04 if principal_signature_required(story.spec.unit.kind) else 0.3
        return SignerRole.DEPUTY if self.rng.random() < deputy_share else SignerRole.PRINCIPAL

    def _register(self, issued: date, latest: date) -> date:
        """Return the day the unit entered the version: within a week of issue."""
        return self.pick_workday(issued, min(issued + timedelta(days=7), latest)) or issued

    def _current(self, story: Story, floor: date, count: int) -> _Version | None:
        """Return the newest version, whose path ends in the story's outcome."""
        low = max(floor, self.start) + timedelta(days=400 * (count - 1))
        outcome = story.outcome
        if outcome in (FILED, DEEMED):
            high = self.today - timedelta(days=60)
            if count == 1 and story.spec.has_children:
                high = min(high, floor + timedelta(days=365))
            issued = self.pick_workday(low, high) if low <= high else None
            if issued is None:
                return None
            return self._filed(story, issued, outcome, before=self.today)
        if outcome == MINOR:
            issued = self.pick_workday(low, self.today - timedelta(days=10))
            return self._minor(story, issued, self.today) if issued else None
        if outcome in (DRAFT_DUE, DRAFT_OVERDUE):
            return self._draft(story, low, overdue=outcome == DRAFT_OVERDUE)
        return self._waiting(story, low, outcome)

    def _minor(self, story: Story, issued: date, before: date) -> _Version | None:
        """Return a minor revision: registered with its revised text, never filed."""
        registered = self._register(issued, before - ONE_DAY)
        uploaded = self.pick_workday(registered, min(registered + timedelta(days=5),
                                                     before - ONE_DAY)) or registered
        unit = story.spec.unit
        required = required_documents(unit.kind, unit.risk_tags, story.spec.topic.category)
        text = DocType.PLAN_TEXT if DocType.PLAN_TEXT in required else DocType.ISSUED_TEXT
        steps = [Step(uploaded, "upload", {"doc_type": text})]
        if uploaded >= before:
            return None
        return _Version(issued, registered, self._signer(story), steps, uploaded, MINOR,
                        major=False)

    def _filed(self, story: Story, issued: date, outcome: str, before: date) -> _Version | None:
        """Return a version that was submitted and then filed or deemed filed before `before`."""
        rng = self.rng
        signer = self._signer(story)
        registered = self._register(issued, before)
        due = self.filing_due(issued)
        if rng.random() < LATE_SUBMISSION_SHARE:
            submitted = self.next_workday(due + timedelta(days=rng.randint(1, 40)))
        else:
            submitted = self.pick_workday(registered, due) or registered
        steps = self._uploads(story, registered, submitted, complete=True)
        steps.append(Step(submitted, "submit"))
        if rng.random() < RETURN_SHARE:
            returned = rng.choice(self.workdays(submitted + ONE_DAY, self.review_due(submitted)))
            note = self._return_note(story, issued, signer, final=False)
            steps.append(Step(returned, "return", {"note": note}))
            submitted = self.next_workday(returned + timedelta(days=rng.randint(2, 15)))
            doc_type, variant = self._correction(story, note)
            steps.append(Step(submitted, "upload", {"doc_type": doc_type, "variant": variant}))
            steps.append(Step(submitted, "submit"))
        review_due = self.review_due(submitted)
        if outcome == DEEMED:
            end = review_due + ONE_DAY
            steps.append(Step(end, "deem"))
        else:
            window = self.workdays(submitted + ONE_DAY, review_due)
            end = rng.choices(window, weights=(6, 4, 3, 2, 1)[:len(window)])[0]
            steps.append(Step(end, "file"))
        if end >= before:
            return None
        return _Version(issued, registered, signer, steps, end, outcome)

    def _draft(self, story: Story, low: date, overdue: bool) -> _Version | None:
        """Return a version never submitted: recently issued, or left past its deadline."""
        rng = self.rng
        if overdue:
            issued = self.pick_workday(max(low, self.today - timedelta(days=300)),
                                       self.today - timedelta(days=32))
        else:
            issued = self.pick_workday(max(low, self.today - timedelta(days=24)), self.last)
        if issued is None or (self.filing_due(issued) < self.today) != overdue:
            return None
        registered = self._register(issued, self.last)
        # A draft has some of its documents at most: the checklist shows what is missing.
        wanted = rng.randint(0, 1) if overdue else rng.randint(0, 2)
        steps = self._uploads(story, registered, self.last, complete=False, limit=wanted)
        return _Version(issued, registered, self._signer(story), steps, registered, story.outcome)

    def _waiting(self, story: Story, low: date, outcome: str) -> _Version | None:
        """Return a version submitted and still waiting, or returned and not yet resubmitted."""
        rng, today = self.rng, self.today
        if outcome == WAITING:
            days = [d for d in self.workdays(today - timedelta(days=14), self.last)
                    if self.review_due(d) >= today]
        elif outcome == WAITING_LATE:
            days = [d for d in self.workdays(today - timedelta(days=75), today - timedelta(days=8))
                    if self.review_due(d) < today]
        else:
            days = self.workdays(today - timedelta(days=120), today - timedelta(days=6))
        if not days:
            return None
        submitted = rng.choice(days)
        if rng.random() < LATE_SUBMISSION_SHARE:
            issued = self.pick_workday(submitted - timedelta(days=100),
                                       submitted - timedelta(days=35))
        else:
            issued = self.pick_workday(submitted - timedelta(days=26),
                                       submitted - timedelta(days=3))
        if issued is None or issued < low:
            return None
        signer = self._signer(story)
        registered = self._register(issued, submitted)
        steps = self._uploads(story, registered, submitted, complete=True)
        steps.append(Step(submitted, "submit"))
        end = submitted
        if outcome == RETURNED:
            window = self.workdays(submitted + ONE_DAY, min(self.review_due(submitted), self.last))
            if not window:
                return None
            end = rng.choice(window)
            note = self._return_note(story, issued, signer, final=True)
            steps.append(Step(end, "return", {"note": note}))
        return _Version(issued, registered, signer, steps, end, outcome)

    def _uploads(self, story: Story, first: date, last: date, *, complete: bool,
                 limit: int = 0) -> list[Step]:
        """Return upload steps for the version's checklist documents (all, or up to `limit`)."""
        unit = story.spec.unit
        required = required_documents(unit.kind, unit.risk_tags, story.spec.topic.category)
        if not complete:
            required = required[:min(limit, len(required) - 1)]
        days = self.workdays(first, last) or [first]
        # Most documents go up in the last days before submitting.
        return [Step(self.rng.choice(days[-3:] if self.rng.random() < 0.7 else days), "upload",
                     {"doc_type": doc_type}) for doc_type in required]

    def _return_note(self, story: Story, issued: date, signer: str, final: bool) -> ReturnNote:
        unit = story.spec.unit
        if final and signer == SignerRole.DEPUTY and principal_signature_required(unit.kind):
            return names.WRONG_SIGNER_NOTE
        notes = [n for n in names.RETURN_NOTES if story.is_enterprise or not n.enterprise_only]
        if BANFA_2024_PUBLISHED <= issued < NEW_BASIS_FROM:
            notes.append(names.OUTDATED_BASIS_NOTE)
        return self.rng.choice(notes)

    def _correction(self, story: Story, note: ReturnNote) -> tuple[str, str]:
        """Return what a unit uploads after a return: a document type and how it was redone."""
        unit = story.spec.unit
        required = required_documents(unit.kind, unit.risk_tags, story.spec.topic.category)
        text = DocType.PLAN_TEXT if DocType.PLAN_TEXT in required else DocType.ISSUED_TEXT
        if ReturnReason.NO_RISK_ASSESSMENT in note.reasons and DocType.RISK_ASSESSMENT in required:
            return DocType.RISK_ASSESSMENT, REVISED
        if ReturnReason.NO_REVIEW in note.reasons and DocType.REVIEW_OPINION in required:
            return DocType.REVIEW_OPINION, REVISED
        if ReturnReason.MISSING_DOCUMENTS in note.reasons:
            return DocType.OTHER, REVISED
        if ReturnReason.FORMAT in note.reasons:
            return text, SCAN
        return text, REVISED

    def _reviews(self, story: Story, chain: list[_Version]) -> list[Step]:
        """Return evaluations and revision items: before revisions, and after the last filing."""
        rng, steps = self.rng, []
        for older, newer in zip(chain, chain[1:], strict=False):
            # What prompted a major revision came some months before it; the filing of the
            # revision closes it. A minor revision needs no prompt (and files nothing).
            if not newer.major:
                continue
            if rng.random() < 0.5:
                day = self.pick_workday(max(older.end + timedelta(days=120),
                                            newer.issued - timedelta(days=300)),
                                        newer.issued - timedelta(days=20))
                if day:
                    steps.append(self._evaluation(day, EvaluationConclusion.REVISE))
            elif rng.random() < 0.5:
                day = self.pick_workday(max(older.end + timedelta(days=60),
                                            newer.issued - timedelta(days=150)),
                                        newer.issued - timedelta(days=10))
                if day:
                    trigger, note = rng.choice(_DETAIL_NOTES)
                    steps.append(Step(day, "raise", {"trigger": trigger, "note": note}))
        current = chain[-1]
        if current.outcome not in (FILED, DEEMED, MINOR):
            return steps
        if (self.last - current.end).days >= 330 and rng.random() < 0.45:
            day = self.pick_workday(current.end + timedelta(days=300), self.last)
            revise = rng.random() < 0.25
            if day:
                steps.append(self._evaluation(
                    day, EvaluationConclusion.REVISE if revise else EvaluationConclusion.KEEP))
        if rng.random() < 0.12:
            day = self.pick_workday(current.end + timedelta(days=20), self.last)
            if day:
                if day >= LAW_2024_IN_FORCE and rng.random() < 0.35:
                    trigger, note = names.LAW_CHANGED_NOTE
                else:
                    trigger, note = rng.choice(names.REVISION_NOTES)
                note = note.format(year=day.year if day.month > 7 else day.year - 1)
                steps.append(Step(day, "raise", {"trigger": trigger, "note": note}))
        return steps

    def _evaluation(self, day: date, conclusion: str) -> Step:
        pool = names.EVALUATION_REVISE if conclusion == EvaluationConclusion.REVISE else (
            names.EVALUATION_KEEP)
        return Step(day, "evaluate", {"conclusion": conclusion, "summary": self.rng.choice(pool),
                                      "report": self.rng.random() < 0.3})

    def _clock(self, steps: list[Step]) -> None:
        """Give each step a time of day in office hours, later than the plan's previous step."""
        previous_day, minute = None, 0
        for step in steps:
            if step.day == previous_day:
                minute = min(minute + self.rng.randint(3, 40), 23 * 60 + 59)
            elif step.action == "deem":  # the nightly check of review deadlines
                minute = 60 + self.rng.randint(0, 30)
            else:
                minute = 8 * 60 + 30 + self.rng.randint(0, 8 * 60)
            previous_day = step.day
            step.at = datetime.combine(step.day, time(), CHINA) + timedelta(minutes=minute)


def _deal(rng: random.Random, count: int, weights: dict[str, int]) -> list[str]:
    """Return `count` outcomes in the weights' proportions (largest remainder), shuffled."""
    total = sum(weights.values())
    shares = {key: count * weight / total for key, weight in weights.items()}
    dealt = {key: int(share) for key, share in shares.items()}
    order = list(weights)
    by_remainder = sorted(weights, key=lambda key: (dealt[key] - shares[key], order.index(key)))
    for key in by_remainder[:count - sum(dealt.values())]:
        dealt[key] += 1
    deck = [key for key in weights for _ in range(dealt[key])]
    rng.shuffle(deck)
    return deck


# --- running the stories -------------------------------------------------------------------


class _Users:
    """The demo accounts that act: each unit's liaison if it has one, else its office."""

    def __init__(self):
        usernames = [account.username for account in names.DEMO_ACCOUNTS]
        users = db.session.scalars(select(User).where(User.username.in_(usernames))).all()
        self.offices = sorted(((u.region.code, u) for u in users if u.role == Role.OFFICE),
                              key=lambda pair: -len(pair[0]))
        self.liaisons = {u.unit_id: u for u in users if u.role == Role.LIAISON}

    def office(self, unit: Unit) -> User:
        """Return the office account closest to the unit (爱辉区 has its own)."""
        return next(user for code, user in self.offices if unit.region.code.startswith(code))

    def unit_user(self, unit: Unit) -> User:
        """Return who acts for the unit: its liaison, or the office entering paper submissions."""
        return self.liaisons.get(unit.id) or self.office(unit)


class _Runner(StoryRunner):
    """Run every plan story's steps in date order through the services."""

    stamped = {FilingEvent: ("at",), Document: ("uploaded_at",), Plan: ("created_at",),
               PlanVersion: ("created_at",), Evaluation: ("created_at",)}
    touched = Plan

    def __init__(self, calendar: WorkdayCalendar, users: _Users):
        super().__init__()
        self.calendar = calendar
        self.users = users

    @staticmethod
    def _version_data(step: Step) -> VersionData:
        args = step.args
        return VersionData(issued_on=args["issued"], signer_role=args["signer"],
                           change_summary=args["summary"], is_major=args["major"])

    def _create(self, story: Story, step: Step) -> None:
        spec = story.spec
        parent = spec.parent
        if parent is not None and parent.plan is None:
            raise DemoPlanError(f"{spec.title}: parent {parent.spec.title} not created yet")
        data = PlanData(title=spec.title, category=spec.topic.category,
                        hazard_class=spec.topic.hazard, hazard_subtype=spec.topic.subtype,
                        parent_id=parent.plan.id if parent else None)
        story.plan = create_plan(spec.unit, data, self._version_data(step),
                                 self.users.unit_user(spec.unit), step.day, self.calendar)
        story.version = story.plan.current_version

    def _version(self, story: Story, step: Step) -> None:
        story.version = add_version(story.plan, self._version_data(step),
                                    self.users.unit_user(story.spec.unit), step.day, self.calendar)

    def _upload(self, story: Story, step: Step) -> None:
        spec, version = story.spec, story.version
        name, data = plan_document(spec, version, step.args["doc_type"], step.args.get("variant"))
        self._save(name, data, Owner(spec.unit.id, plan_version_id=version.id),
                   step.args["doc_type"], story, step)

    def _save(self, name: str, data: bytes, owner: Owner, doc_type: str, story: Story,
              step: Step) -> None:
        upload = FileStorage(io.BytesIO(data), filename=name)
        self.documents.append(save_upload(upload, owner, doc_type,
                                          self.users.unit_user(story.spec.unit), step.day))

    def _submit(self, story: Story, step: Step) -> None:
        filing.submit(story.version, self.users.unit_user(story.spec.unit), step.day,
                      self.calendar)

    def _return(self, story: Story, step: Step) -> None:
        note: ReturnNote = step.args["note"]
        filing.return_for_correction(story.version, self.users.office(story.spec.unit),
                                     [str(reason) for reason in note.reasons], note.comment)

    def _file(self, story: Story, step: Step) -> None:
        filing.file_version(story.version, self.users.office(story.spec.unit), step.day)

    def _deem(self, story: Story, step: Step) -> None:
        filing.apply_deemed_filings(step.day, [story.spec.unit.id])
        if story.version.filing_state != FilingState.DEEMED_FILED:
            raise DemoPlanError(f"{story.spec.title} v{story.version.number} was not deemed filed")

    def _evaluate(self, story: Story, step: Step) -> None:
        args, unit = step.args, story.spec.unit
        evaluation = record_evaluation(
            story.plan, EvaluationData(step.day, args["conclusion"], args["summary"]),
            self.users.unit_user(unit), step.day)
        if args["report"]:
            name = f"{story.spec.title}评估报告（{step.day.year}年）.pdf"
            data = pdf_bytes(name.removesuffix(".pdf"), f"Evaluation report {step.day}", step.day)
            self._save(name, data, Owner(unit.id, evaluation_id=evaluation.id),
                       DocType.EVALUATION_REPORT, story, step)

    def _raise(self, story: Story, step: Step) -> None:
        raise_revision(story.plan, step.args["trigger"], step.args["note"],
                       self.users.unit_user(story.spec.unit), step.day)


# --- document contents ---------------------------------------------------------------------


def _edition(version: PlanVersion) -> str:
    year = version.issued_on.year
    return f"（{year}年修订）" if version.number > 1 else f"（{year}年版）"


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _basis(unit: Unit, issued: date) -> str:
    """Return the legal basis a plan issued on that day cites."""
    if unit.kind == UnitKind.ENTERPRISE:
        return ("《中华人民共和国安全生产法》《生产安全事故应急条例》（国务院令第708号）"
                "《生产安全事故应急预案管理办法》（应急管理部令第2号）"
                "GB/T 29639—2020《生产经营单位生产安全事故应急预案编制导则》等。")
    revised = "（2024年修订）" if issued >= LAW_2024_IN_FORCE else ""
    law = f"《中华人民共和国突发事件应对法》{revised}"
    rules = ("《突发事件应急预案管理办法》（国办发〔2024〕5号）" if issued >= NEW_BASIS_FROM
             else "《突发事件应急预案管理办法》（国办发〔2013〕101号）")
    return f"{law}{rules}《黑龙江省突发事件总体应急预案》《黑河市突发事件总体应急预案》等。"


def plan_paragraphs(spec: PlanSpec, version: PlanVersion, revised: bool = False) -> list[str]:
    """Return the text of a plan version: the same outline, details changing with the version."""
    unit, topic, issued = spec.unit, spec.topic, version.issued_on
    subject = f"{topic.subtype}突发事件" if topic.subtype else "各类突发事件"
    levels = ("Ⅰ级、Ⅱ级、Ⅲ级、Ⅳ级四个等级" if version.number > 1 or issued >= NEW_BASIS_FROM
              else "一般、较大、重大三个等级")
    lines = [spec.title, _edition(version)]
    if version.change_summary:
        lines.append(f"修订说明：{version.change_summary}")
    lines += [
        "1 总则",
        f"1.1 编制目的：为有效预防和妥善处置{subject}，保障人民群众生命财产安全，制定本预案。",
        f"1.2 编制依据：{_basis(unit, issued)}",
        f"1.3 适用范围：本预案适用于{unit.name}{subject}的预防与应对工作。",
        "2 组织机构及职责",
        f"成立{unit.name}应急指挥部，总指挥由主要负责人担任，下设综合协调、抢险救援、后勤保障、"
        f"医疗救护{'、舆情引导' if version.number > 1 else ''}等工作组。",
        "3 预警与信息报告",
        f"24小时值班电话：{unit.phone}。发生突发事件后，应在30分钟内电话报告、1小时内书面报告。",
        "4 应急响应",
        f"按照事件的严重程度和影响范围，应急响应分为{levels}。",
        "5 应急保障",
        f"设应急物资储备点{1 + version.number}处，组建应急救援队伍{version.number}支。",
        "6 附则",
        f"本预案由{unit.name}负责解释，自{_chinese_date(issued)}起施行。",
    ]
    if revised:
        lines.insert(2, "（根据备案审查意见修改）")
    return lines


def plan_document(spec: PlanSpec, version: PlanVersion, doc_type: str,
                  variant: str | None = None) -> tuple[str, bytes]:
    """Return the file name and bytes of a checklist document of a plan version.

    The plan text is a DOCX (so versions can be compared) unless it is a stamped scan; the
    forms, opinions, notes and reports are PDFs. `variant` marks a document redone after a return.
    """
    title, unit, issued = spec.title, spec.unit, version.issued_on
    edition = _edition(version)
    if doc_type in (DocType.PLAN_TEXT, DocType.ISSUED_TEXT) and variant != SCAN:
        revised = variant == REVISED
        return (f"{title}{edition}{'（修改稿）' if revised else ''}.docx",
                docx_bytes(plan_paragraphs(spec, version, revised), issued))
    name = {
        DocType.PLAN_TEXT: f"{title}{edition}（盖章扫描件）",
        DocType.ISSUED_TEXT: f"{title}{edition}（盖章扫描件）",
        DocType.DRAFTING_NOTES: f"关于《{title}》的编制说明",
        DocType.FILING_FORM: f"{title}备案申报表",
        DocType.REVIEW_OPINION: f"{title}专家评审意见",
        DocType.RISK_ASSESSMENT: f"{unit.name}风险评估报告和应急资源调查清单（{issued.year}年）",
        DocType.OTHER: f"{title}补充材料（风险评估报告）",
    }[doc_type]
    if variant == REVISED and doc_type in (DocType.RISK_ASSESSMENT, DocType.REVIEW_OPINION):
        name += "（补充）" if doc_type == DocType.RISK_ASSESSMENT else "（复审）"
    reference = f"{doc_type} v{version.number} {issued.isoformat()} {variant or ''}".strip()
    return f"{name}.pdf", pdf_bytes(name, reference, issued)


# --- entry point ---------------------------------------------------------------------------


_UNFILED = (FilingState.DRAFT, FilingState.SUBMITTED, FilingState.RETURNED)


def load_plans(today: date, seed: str) -> PlanSummary:
    """Give most demo units their plans, with histories ending on `today`; flush, never commit."""
    rng = random.Random(seed)
    units = list(db.session.scalars(select(Unit).order_by(Unit.id)))
    users = _Users()
    stories = _Planner(rng, units, set(users.liaisons)).plan_all()
    for enterprise, parent in ((True, True), (True, False), (False, True), (False, False)):
        weights = dict(ENTERPRISE_OUTCOMES if enterprise else OTHER_OUTCOMES)
        if parent:
            for outcome in (FILED, DEEMED):
                weights[outcome] = weights.get(outcome, 0) * PARENT_FILED_WEIGHT
        members = [story for story in stories
                   if story.is_enterprise == enterprise and story.spec.has_children == parent]
        for story, outcome in zip(members, _deal(rng, len(members), weights), strict=True):
            story.outcome = outcome
    calendar = load_calendar()
    teller = _Storyteller(rng, today, calendar)
    for story in stories:
        story.version_count = rng.choices(*VERSION_COUNTS)[0]
        if story.outcome == FILED and story.version_count > 1 and rng.random() < MINOR_SHARE:
            story.outcome = MINOR  # filed, then revised in a minor way
        parent = story.spec.parent
        teller.tell(story, parent.first_day + ONE_DAY if parent else teller.start)
    runner = _Runner(calendar, users)
    runner.run(stories)
    return _summary(stories, runner, today)


def _summary(stories: list[Story], runner: _Runner, today: date) -> PlanSummary:
    summary = PlanSummary(plans=len(stories), documents=len(runner.documents))
    states, overdue = Counter(), Counter()
    for story in stories:
        current = story.plan.current_version
        states[current.filing_state] += 1
        due = (current.review_due_on if current.filing_state == FilingState.SUBMITTED
               else current.filing_due_on)
        if current.filing_state in _UNFILED and due < today:
            overdue[current.filing_state] += 1
    summary.states = {str(state): states[state] for state in FilingState if states[state]}
    summary.overdue = {str(state): overdue[state] for state in FilingState if overdue[state]}
    plan_ids = [story.plan.id for story in stories]
    summary.versions = db.session.scalar(
        select(func.count()).select_from(PlanVersion).where(PlanVersion.plan_id.in_(plan_ids)))
    summary.evaluations = db.session.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.plan_id.in_(plan_ids)))
    summary.open_revision_items = db.session.scalar(
        select(func.count()).select_from(RevisionItem).where(
            RevisionItem.plan_id.in_(plan_ids), RevisionItem.closed_on.is_(None)))
    return summary

