"""Drills for the 黑河市 demo: about a year of them, driven through the real services on past days.

Every drill first gets a story: the day it went into the unit's annual drill plan, a reschedule
or cancellation with its reason, the day it was held and recorded (duration, participants,
evacuation time, the day it was reported to the regulator), its record documents, and the
corrective actions its findings raised, with their evidence, closing, verification or
reopening. The stories become dated steps that run in date order through plan_drill,
reschedule, cancel, record_held, save_upload, add_action, close_action, verify_action and
reopen_action, each told the simulated day, while a listener active only during the load dates
the rows at the simulated moment. Nothing here reads the clock: `today` is given.

As of `today` the compliance panels show a mix: schools that drilled most term months but
missed one (the demo liaison's school misses May), a few that stopped after the spring term,
kindergartens missing a quarter, firms with and without their half-yearly drills (reported to
the regulator or not), townships and villages with and without their yearly drill, cancelled
and rescheduled drills, planned drills for the rest of the year, held drills whose records lack
their evaluation or summary report, and corrective actions in every state.
"""

import bisect
import io
import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from emergency.compliance.dates import DEFAULT_TERMS, add_months
from emergency.compliance.services import load_calendar
from emergency.compliance.workdays import WorkdayCalendar
from emergency.demo import names
from emergency.demo.plans import CHINA, ONE_DAY, Step, _deal, _Users, docx_bytes, pdf_bytes
from emergency.demo.replay import StoryRunner
from emergency.documents.models import DocType, Document
from emergency.documents.services import Owner, save_upload
from emergency.drills.actions import (
    ActionData,
    add_action,
    close_action,
    reopen_action,
    verify_action,
)
from emergency.drills.models import (
    ActionEvent,
    ActionStatus,
    CorrectiveAction,
    Drill,
    DrillChange,
    DrillForm,
    DrillPurpose,
    DrillScope,
    DrillStatus,
)
from emergency.drills.queries import must_report
from emergency.drills.services import (
    DrillData,
    HeldData,
    cancel,
    plan_drill,
    record_held,
    reschedule,
)
from emergency.extensions import db
from emergency.plans.models import Plan, PlanCategory
from emergency.units.models import SCHOOL_KINDS, RiskTag, Unit, UnitKind

# Scale. A drill costs two service calls (entered, then recorded) and a document one fsynced
# file, so these shares keep the load to a few seconds and the files to about a hundred.
#: Share of each kind's units that keep their drills in the registry (the others are the
#: "no drill" findings); enterprises without any plan drill less often.
DRILLING = {
    UnitKind.SCHOOL: 0.7,
    UnitKind.KINDERGARTEN: 0.8,
    UnitKind.UNIVERSITY: 1.0,
    UnitKind.ENTERPRISE: 0.85,
    UnitKind.TOWN_STREET: 0.6,
    UnitKind.VILLAGE_COMMUNITY: 0.25,
    UnitKind.GOVERNMENT_DEPARTMENT: 0.35,
    UnitKind.PUBLIC_INSTITUTION: 0.8,
}
ENTERPRISE_WITHOUT_PLAN_DRILLING = 0.25

# How a school's year went.
STEADY = "steady"  # a drill every term month
MISSED_ONE = "missed_one"  # one term month without a drill
PATCHY = "patchy"  # two or three months missed
STOPPED = "stopped"  # drilled in the spring term, nothing since September
SCHOOL_PROFILES = {STEADY: 40, MISSED_ONE: 30, PATCHY: 15, STOPPED: 15}
#: The month the demo liaison's school missed (when it is past; else the latest past one).
LIAISON_MISSED_MONTH = 5
# How a firm's year went against its half-yearly drills.
BOTH_HALVES = "both"
FIRST_HALF_ONLY = "first"  # the second half-year's drill is still planned (December)
SECOND_HALF_ONLY = "second"  # the first half-year was missed
LAST_YEAR_ONLY = "last_year"  # nothing this year
ENTERPRISE_PROFILES = {BOTH_HALVES: 45, FIRST_HALF_ONLY: 25, SECOND_HALF_ONLY: 15,
                       LAST_YEAR_ONLY: 15}
#: Of the drills of units that must report them (生产办法 第33条第二款), the share reported.
REPORTED_SHARE = 0.8
RESCHEDULE_SHARE = 0.07
#: Share of held drills entered into the annual plan only when they were recorded.
AFTER_THE_FACT_SHARE = 0.3

# Corrective actions, by where they stand on `today`.
OPEN_DUE = "open_due"  # open, due date ahead
OPEN_LATE = "open_late"  # open, past its due date
CLOSED = "closed"  # closed with evidence, waiting for the office
VERIFIED = "verified"
REOPENED = "reopened"  # closed, sent back by the office with a comment, open again
ACTION_OUTCOMES = (OPEN_DUE,) * 5 + (OPEN_LATE,) * 6 + (CLOSED,) * 4 + (VERIFIED,) * 6 + (
    REOPENED,)

HELD, PLANNED, CANCELLED = DrillStatus.HELD, DrillStatus.PLANNED, DrillStatus.CANCELLED


@dataclass
class DrillSummary:
    """What the drill loader added."""

    drills: int = 0
    #: Drills by status (planned, held, cancelled).
    states: dict[str, int] = field(default_factory=dict)
    rescheduled: int = 0
    #: Held drills with record documents, and of those the ones lacking a report (评估报告 or
    #: 总结报告); the other held drills have no documents at all.
    documented: int = 0
    lacking_reports: int = 0
    #: Files: drill records and corrective-action evidence.
    documents: int = 0
    actions: int = 0
    #: Corrective actions by status (open, closed, verified).
    action_states: dict[str, int] = field(default_factory=dict)
    #: Open corrective actions past their due date.
    overdue_actions: int = 0


@dataclass(frozen=True)
class Style:
    """How a unit's drills are held: form, scope, purpose and the ranges of what is recorded."""

    form: str = DrillForm.LIVE
    scope: str = DrillScope.SINGLE
    purpose: str = DrillPurpose.INSPECTION
    minutes: tuple[int, int] = (20, 40)
    people: tuple[int, int] = (20, 80)
    evacuation: tuple[int, int] | None = None


SCHOOL_STYLE = Style(minutes=(15, 35), evacuation=(90, 240))
COMPREHENSIVE = Style(scope=DrillScope.COMPREHENSIVE, minutes=(60, 150), people=(40, 160))
SPECIAL = Style(minutes=(40, 90), people=(15, 60))
TABLETOP = Style(form=DrillForm.TABLETOP, minutes=(90, 180), people=(12, 30))
TOWN_STYLE = Style(minutes=(60, 150), people=(30, 150))
VILLAGE_STYLE = Style(minutes=(30, 90), people=(20, 80))


@dataclass
class DrillStory:
    unit: Unit
    title: str
    planned_on: date
    style: Style
    plans: list[Plan]
    order: int
    outcome: str = HELD
    steps: list[Step] = field(default_factory=list)
    #: The day it was held (HELD) and recorded, once told.
    held_on: date | None = None
    recorded: date | None = None
    drill: Drill | None = None
    actions: list[CorrectiveAction] = field(default_factory=list)
    #: The record documents it gets and the corrective actions raised, once chosen.
    documented: bool = False
    lacking: str | None = None
    action_count: int = 0


class _Teller:
    """Write the drill stories of every unit, drawing from one generator."""

    def __init__(self, rng: random.Random, today: date, calendar: WorkdayCalendar,
                 plans: dict[int, list[Plan]], liaison_units: set[int]):
        self.rng = rng
        self.today = today
        self.last = today - ONE_DAY  # nothing happens on `today`: the load is its morning
        self.year = today.year
        self.calendar = calendar
        self.plans = plans
        self.liaison_units = liaison_units
        self.stories: list[DrillStory] = []
        self.findings: dict[int, set[str]] = {}  # unit id -> titles of its corrective actions
        start, end = date(self.year - 1, 1, 1), date(self.year + 1, 1, 31)
        self._workdays = [start + timedelta(days=n) for n in range((end - start).days + 1)
                          if calendar.is_workday(start + timedelta(days=n))]

    # --- calendar helpers

    def workdays(self, low: date, high: date) -> list[date]:
        left = bisect.bisect_left(self._workdays, low)
        return self._workdays[left:bisect.bisect_right(self._workdays, high)]

    def pick(self, low: date, high: date) -> date | None:
        days = self.workdays(low, high)
        return self.rng.choice(days) if days else None

    def school_window(self, year: int, month: int) -> tuple[date, date] | None:
        """Return the part of a month in a school term (default terms), or None in a vacation."""
        first, end = date(year, month, 1), add_months(date(year, month, 1), 1) - ONE_DAY
        spring_start, spring_end = (date(year, *DEFAULT_TERMS.spring_start),
                                    date(year, *DEFAULT_TERMS.spring_end))
        autumn_start = date(year, *DEFAULT_TERMS.autumn_start)
        autumn_end = date(year, *DEFAULT_TERMS.autumn_end)  # the end of last year's autumn term
        for low, high in ((first, autumn_end), (spring_start, spring_end),
                          (autumn_start, date(year, 12, 31))):
            low, high = max(low, first), min(high, end)
            if low <= high:
                return low, high
        return None

    def plans_of(self, unit: Unit, day: date, *categories: str) -> list[Plan]:
        """Return the unit's plans of these categories that existed on `day`, oldest first."""
        return [plan for plan in self.plans.get(unit.id, ())
                if plan.category in categories and _china_day(plan.created_at) < day]

    # --- one drill

    def drill(self, unit: Unit, title: str, planned_on: date, style: Style, plans: list[Plan],
              outcome: str = HELD, *, moved: tuple[int, str] | None = None,
              cancel_reason: str | None = None) -> DrillStory | None:
        """Tell one drill: entered, maybe moved by `moved[0]` days, then held, cancelled or not yet.

        A drill meant to be held whose day is not past yet stays planned.
        """
        if planned_on is None:
            return None
        rng, last = self.rng, self.last
        story = DrillStory(unit, title, planned_on, style, plans, order=len(self.stories))
        day = planned_on
        if moved is not None:
            day = planned_on + timedelta(days=moved[0])
        if outcome == HELD and day > last:
            outcome = PLANNED
        after_the_fact = (outcome == HELD and moved is None
                          and rng.random() < AFTER_THE_FACT_SHARE)
        earliest = min(planned_on, day)  # the plan is entered, and changed, before either day
        if after_the_fact:
            entered = None
        else:
            entered = self.pick(max(planned_on - timedelta(days=45), date(self.year - 1, 1, 2)),
                                min(earliest - timedelta(days=5), last)) or min(earliest, last)
            story.steps.append(Step(entered, "plan"))
        if moved is not None:
            changed = self.pick(entered, min(earliest - ONE_DAY, last)) or entered
            story.steps.append(Step(changed, "reschedule", {"to": day, "reason": moved[1]}))
        story.outcome = outcome
        if entered is not None:  # a drill exercises only plans that existed when it was entered
            story.plans = [p for p in plans if _china_day(p.created_at) < entered]
        if outcome == CANCELLED:
            floor = story.steps[-1].day
            called_off = self.pick(floor, min(day - ONE_DAY, last)) or floor
            story.steps.append(Step(called_off, "cancel", {"reason": cancel_reason}))
        elif outcome == HELD:
            self._held(story, day, after_the_fact)
        self.stories.append(story)
        return story

    def _held(self, story: DrillStory, held_on: date, after_the_fact: bool) -> None:
        rng, last, unit, style = self.rng, self.last, story.unit, story.style
        reported = None
        if must_report(unit) and rng.random() < REPORTED_SHARE:
            reported = self.pick(held_on + ONE_DAY, min(held_on + timedelta(days=6), last))
        floor = reported or held_on
        recorded = (floor if rng.random() < 0.5 else
                    self.pick(floor, min(floor + timedelta(days=7), last)) or floor)
        if after_the_fact:
            story.steps.append(Step(recorded, "plan"))
            story.plans = [p for p in story.plans if _china_day(p.created_at) < recorded]
        evacuation = None
        if style.evacuation and unit.kind in SCHOOL_KINDS:
            evacuation = rng.randint(*style.evacuation)
        participants = rng.randint(*style.people)
        if unit.kind in SCHOOL_KINDS:
            participants = self._school_size(unit)
        story.steps.append(Step(recorded, "held", {"data": HeldData(
            held_on=held_on, duration_minutes=rng.randint(*style.minutes),
            participants=participants, evacuation_seconds=evacuation, reported_on=reported,
            summary=rng.choice(names.DRILL_SUMMARIES))}))
        story.held_on, story.recorded = held_on, recorded

    def move(self, reasons, day: date, shifts: tuple[int, ...],
             flood: bool = False) -> tuple[int, str] | None:
        """Draw a reschedule: days moved and a reason that fits the direction and the month.

        None when the new day is not a working day (the drill is then simply not moved).
        """
        shift = self.rng.choice(shifts)
        fitting = [text for text, direction, months in reasons
                   if direction * shift >= 0 and (months is None or day.month in months)
                   and (flood or "汛期" not in text)]
        new_day = day + timedelta(days=shift)
        if not fitting or not self.calendar.is_workday(new_day):
            return None
        return shift, self.rng.choice(fitting)

    def cancel_reason(self, reasons, day: date) -> str:
        """Draw why a drill was called off, among the reasons that fit its month."""
        return self.rng.choice([text for text, months in reasons
                                if months is None or day.month in months])

    def _school_size(self, unit: Unit) -> int:
        """Return about everyone in the school: pupils and staff (a little different each time)."""
        base = {UnitKind.KINDERGARTEN: 260, UnitKind.UNIVERSITY: 3200}.get(unit.kind, 900)
        if "中心小学" in unit.name or unit.name.endswith("乡中学") or unit.name.endswith("镇中学"):
            base = 420
        # From the name, not the id: ids differ between loads on PostgreSQL (sequences go on).
        return base + zlib.crc32(unit.name.encode()) % (base // 3) - self.rng.randint(0, base // 10)

    # --- the units

    def schools(self, units: list[Unit]) -> None:
        drilling = [u for u in units if u.id in self.liaison_units
                    or self.rng.random() < DRILLING[UnitKind.SCHOOL]]
        months = [m for m in range(1, 13) if self.school_window(self.year, m)]
        past = [m for m in months if self.school_window(self.year, m)[1] <= self.last
                and m < self.today.month]
        for unit, profile in zip(drilling, _deal(self.rng, len(drilling), SCHOOL_PROFILES),
                                 strict=True):
            missed: set[int] = set()
            if unit.id in self.liaison_units:
                profile = MISSED_ONE
                missed = {LIAISON_MISSED_MONTH if LIAISON_MISSED_MONTH in past else past[-1]} \
                    if past else set()
            elif profile == MISSED_ONE and past:
                missed = {self.rng.choice(past)}
            elif profile == PATCHY and past:
                missed = set(self.rng.sample(past, min(len(past), self.rng.randint(2, 3))))
            stop = date(self.year, 9, 1) if profile == STOPPED else None
            # The drills exercise the fire-evacuation plan, or else the school's overall plan.
            fire = (self.plans_of(unit, self.today, PlanCategory.SPECIAL)
                    or self.plans_of(unit, self.today, PlanCategory.OVERALL))
            # Last year's autumn term: December, and from October for some.
            first = 10 if unit.id in self.liaison_units or self.rng.random() < 0.3 else 12
            for month in range(first, 13):
                self._school_month(unit, self.year - 1, month, fire, set())
            for month in months:
                window = self.school_window(self.year, month)
                if stop and window[0] >= stop:
                    break
                self._school_month(unit, self.year, month, fire, missed,
                                   liaison=unit.id in self.liaison_units)

    def _school_month(self, unit: Unit, year: int, month: int, fire: list[Plan],
                      missed: set[int], liaison: bool = False) -> None:
        rng = self.rng
        low, high = self.school_window(year, month)
        # The national days: 防灾减灾日 (12 May) and 消防日 (9 November).
        if month == 5:
            low, high = date(year, 5, 8), date(year, 5, 22)
        elif month == 11:
            low, high = date(year, 11, 3), date(year, 11, 27)
        planned_on = self.pick(low, high)
        if planned_on is None:
            return
        night = RiskTag.BOARDING_SCHOOL in unit.risk_tags and month in names.NIGHT_DRILL_MONTHS
        theme = names.NIGHT_DRILL_THEME if night else names.SCHOOL_DRILL_THEMES[month]
        title = f"{year}年{month}月{theme}"
        plans = fire[:1]
        if month in missed:
            if liaison and month == LIAISON_MISSED_MONTH:
                # Moved once for the exams, then called off: the month stays empty.
                self.drill(unit, title, planned_on, SCHOOL_STYLE, plans, CANCELLED,
                           moved=(7, names.SCHOOL_RESCHEDULE_REASONS[0][0]),
                           cancel_reason=names.SCHOOL_CANCEL_REASONS[0][0])
            elif liaison or rng.random() < 0.4:
                self.drill(unit, title, planned_on, SCHOOL_STYLE, plans, CANCELLED,
                           cancel_reason=self.cancel_reason(names.SCHOOL_CANCEL_REASONS,
                                                            planned_on))
            return
        moved = None
        if rng.random() < RESCHEDULE_SHARE and not liaison:
            moved = self.move(names.SCHOOL_RESCHEDULE_REASONS, planned_on, (-3, 2, 5, 7))
            moved_to = planned_on + timedelta(days=moved[0]) if moved else None
            window = self.school_window(year, month)
            if moved_to and not window[0] <= moved_to <= window[1]:  # still in term, same month
                moved = None
        self.drill(unit, title, planned_on, SCHOOL_STYLE, plans, moved=moved)

    def kindergartens(self, units: list[Unit]) -> None:
        rng = self.rng
        windows = ((date(self.year, 3, 2), date(self.year, 3, 31)),
                   (date(self.year, 4, 8), date(self.year, 6, 20)),
                   (date(self.year, 9, 7), date(self.year, 9, 30)),
                   (date(self.year, 10, 12), date(self.year, 12, 18)))
        past = [q for q, (_, high) in enumerate(windows) if high < self.today]
        for unit in units:
            if rng.random() >= DRILLING[UnitKind.KINDERGARTEN]:
                continue
            missed = rng.choice(past[1:] or past) if past and rng.random() < 0.35 else None
            plans = self.plans_of(unit, self.today, PlanCategory.OVERALL)[:1]
            if rng.random() < 0.5:
                day = self.pick(date(self.year - 1, 11, 2), date(self.year - 1, 12, 18))
                self.drill(unit, f"{self.year - 1}年第四季度{names.KINDERGARTEN_DRILL_THEMES[3]}",
                           day, SCHOOL_STYLE, plans)
            for quarter, (low, high) in enumerate(windows):
                if quarter == missed:
                    continue
                title = f"{self.year}年第{'一二三四'[quarter]}季度" \
                        f"{names.KINDERGARTEN_DRILL_THEMES[quarter]}"
                self.drill(unit, title, self.pick(low, high), SCHOOL_STYLE, plans)

    def universities(self, units: list[Unit]) -> None:
        windows = ((date(self.year, 4, 8), date(self.year, 5, 29)),
                   (date(self.year, 9, 8), date(self.year, 9, 28)),
                   (date(self.year, 12, 7), date(self.year, 12, 18)))
        for unit in units:
            plans = self.plans_of(unit, self.today, PlanCategory.OVERALL)[:1]
            style = Style(minutes=(30, 60), evacuation=(150, 240))
            for (low, high), theme in zip(windows, names.UNIVERSITY_DRILL_THEMES, strict=True):
                self.drill(unit, f"{self.year}年{theme}", self.pick(low, high), style, plans)

    def enterprises(self, units: list[Unit]) -> None:
        rng = self.rng
        drilling = []
        for unit in units:
            has_plans = bool(self.plans.get(unit.id))
            share = DRILLING[UnitKind.ENTERPRISE] if has_plans else ENTERPRISE_WITHOUT_PLAN_DRILLING
            if unit.id in self.liaison_units or rng.random() < share:
                drilling.append(unit)
        profiles = _deal(rng, len(drilling), ENTERPRISE_PROFILES)
        for unit, profile in zip(drilling, profiles, strict=True):
            if unit.id in self.liaison_units:
                profile = FIRST_HALF_ONLY
            self._enterprise(unit, profile)

    def _enterprise(self, unit: Unit, profile: str) -> None:
        rng, year = self.rng, self.year
        h1 = self.pick(date(year, 3, 16), date(year, 6, 26))
        h2 = self.pick(date(year, 9, 1), date(year, 11, 27))
        december = self.pick(date(year, 12, 1), date(year, 12, 25))
        if rng.random() < 0.5 or profile == LAST_YEAR_ONLY:
            day = self.pick(date(year - 1, 9, 1), date(year - 1, 12, 18))
            self._firm_drill(unit, day, f"{year - 1}年下半年", overall=True)
        if profile in (BOTH_HALVES, FIRST_HALF_ONLY):
            self._firm_drill(unit, h1, f"{year}年上半年", overall=False)
        elif profile == SECOND_HALF_ONLY and rng.random() < 0.5:
            self._firm_drill(unit, h1, f"{year}年上半年", overall=False, outcome=CANCELLED,
                             cancel_reason=self.cancel_reason(names.ENTERPRISE_CANCEL_REASONS, h1))
        if profile in (BOTH_HALVES, SECOND_HALF_ONLY):
            self._firm_drill(unit, h2, f"{year}年下半年", overall=True)
        elif profile == FIRST_HALF_ONLY:
            self._firm_drill(unit, december, f"{year}年下半年", overall=True)
        if profile == LAST_YEAR_ONLY:
            return
        # Each on-site response plan is drilled every half-year (R14-D); some halves are missed.
        for plan in self.plans_of(unit, self.today, PlanCategory.ONSITE):
            topic = plan.title.removeprefix(unit.name).replace("方案", "演练")
            for half, low, high in (("上", date(year, 3, 2), date(year, 6, 26)),
                                    ("下", date(year, 9, 1), date(year, 12, 18))):
                if rng.random() < 0.25:
                    continue
                day = self.pick(low, high)
                if _china_day(plan.created_at) < day:
                    self.drill(unit, f"{year}年{half}半年{topic}", day, SPECIAL, [plan])

    def _firm_drill(self, unit: Unit, day: date, when: str, *, overall: bool,
                    outcome: str = HELD, cancel_reason: str | None = None) -> None:
        rng = self.rng
        overalls = self.plans_of(unit, day, PlanCategory.OVERALL)
        specials = self.plans_of(unit, day, PlanCategory.SPECIAL)
        if overall or not specials:
            plans, style = overalls[:1], COMPREHENSIVE
            topic = "生产安全事故综合应急演练"
        else:
            plan = rng.choice(specials)
            plans, style = [plan], TABLETOP if rng.random() < 0.25 else SPECIAL
            topic = plan.title.removeprefix(unit.name).replace("应急预案", "应急演练")
        moved = None
        if outcome == HELD and rng.random() < RESCHEDULE_SHARE * 2:
            moved = self.move(names.ENTERPRISE_RESCHEDULE_REASONS, day, (-4, 6, 9, 14))
        self.drill(unit, f"{when}{topic}", day, style, plans, outcome, moved=moved,
                   cancel_reason=cancel_reason)

    def towns(self, units: list[Unit]) -> None:
        rng, year = self.rng, self.year
        cancelled = 0
        for unit in units:
            street = unit.region.code[6:9] < "100"
            specials = self.plans_of(unit, self.today, PlanCategory.SPECIAL)
            plan = specials[0] if specials else None
            if plan is None:
                plan_list = self.plans_of(unit, self.today, PlanCategory.OVERALL)[:1]
                subtype = "防汛" if street or rng.random() < 0.5 else "森林防火"
            else:
                plan_list, subtype = [plan], _subtype(plan)
            theme = names.TOWN_DRILL_THEMES.get(subtype, names.TOWN_DRILL_THEMES[None])
            low, high = ((date(year, 4, 1), date(year, 4, 30)) if subtype == "森林防火"
                         else (date(year, 5, 15), date(year, 7, 15)))
            if rng.random() < 0.25:  # last year's drill keeps the two-year rule (R6-D) met
                day = self.pick(low.replace(year=year - 1), high.replace(year=year - 1))
                self.drill(unit, f"{year - 1}年{theme}", day, TOWN_STYLE, plan_list)
            if rng.random() < DRILLING[UnitKind.TOWN_STREET]:
                moved = None
                if rng.random() < RESCHEDULE_SHARE * 2:
                    moved = self.move(names.OTHER_RESCHEDULE_REASONS, low, (-7, 7),
                                      flood=subtype == "防汛")
                day = self.pick(low, high)
                if moved is not None and not self.calendar.is_workday(day + timedelta(moved[0])):
                    moved = None
                self.drill(unit, f"{year}年{theme}", day, TOWN_STYLE, plan_list, moved=moved)
            elif cancelled < 2 and subtype == "防汛":
                cancelled += 1
                self.drill(unit, f"{year}年{theme}", self.pick(low, high), TOWN_STYLE,
                           plan_list, CANCELLED, cancel_reason=names.FLOOD_CANCEL_REASON)
            elif rng.random() < 0.4:
                day = self.pick(date(year, 12, 1), date(year, 12, 25))
                self.drill(unit, f"{year}年{names.TOWN_WINTER_THEME}", day, TOWN_STYLE,
                           plan_list)

    def villages(self, units: list[Unit]) -> None:
        rng, year = self.rng, self.year
        for unit in units:
            if rng.random() >= DRILLING[UnitKind.VILLAGE_COMMUNITY]:
                continue
            plans = self.plans_of(unit, self.today, PlanCategory.VILLAGE_BRIEF)
            if unit.region.name.endswith("社区"):
                theme, low, high = names.COMMUNITY_DRILL_THEME, (3, 2), (11, 13)
            elif rng.random() < 0.7:  # before the flood season
                theme, low, high = names.VILLAGE_DRILL_THEMES[0], (5, 18), (7, 10)
            else:  # the spring fire season
                theme, low, high = names.VILLAGE_DRILL_THEMES[1], (3, 25), (4, 28)
            day = self.pick(date(year, *low), date(year, *high))
            self.drill(unit, f"{year}年{theme}", day, VILLAGE_STYLE, plans)

    def departments(self, units: list[Unit]) -> None:
        rng, year = self.rng, self.year
        for unit in units:
            showcase = unit.name == f"黑河市{names.CITY_DEPARTMENTS[0]}"
            if not showcase and rng.random() >= DRILLING[UnitKind.GOVERNMENT_DEPARTMENT]:
                continue
            plans = self.plans_of(unit, self.today, PlanCategory.DEPARTMENT)[:1]
            if showcase:
                day = self.pick(date(year, 6, 8), date(year, 6, 19))
                style = Style(scope=DrillScope.COMPREHENSIVE, purpose=DrillPurpose.DEMONSTRATION,
                              minutes=(120, 180), people=(260, 420))
                self.drill(unit, f"{year}年{names.CITY_SHOWCASE_DRILL}", day, style, plans)
                continue
            topic = plans[0].title.removeprefix(unit.name).removesuffix("应急预案") if plans \
                else "突发事件"
            when = year if rng.random() < 0.6 else year - 1
            day = self.pick(date(when, 3, 2), date(when, 11, 13))
            style = TABLETOP if rng.random() < 0.8 else Style(purpose=DrillPurpose.RESEARCH,
                                                              form=DrillForm.TABLETOP,
                                                              minutes=(120, 240), people=(10, 25))
            self.drill(unit, f"{when}年{topic}{names.DEPARTMENT_DRILL_SUFFIX}", day, style,
                       plans)

    def institutions(self, units: list[Unit]) -> None:
        rng, year = self.rng, self.year
        for unit in units:
            if rng.random() >= DRILLING[UnitKind.PUBLIC_INSTITUTION]:
                continue
            plans = (self.plans_of(unit, self.today, PlanCategory.SPECIAL)
                     or self.plans_of(unit, self.today, PlanCategory.OVERALL))[:1]
            if RiskTag.CROWDED_PLACE in unit.risk_tags:
                day = self.pick(date(year, 5, 6), date(year, 8, 28))
                self.drill(unit, f"{year}年{names.INSTITUTION_CROWD_THEME}", day, COMPREHENSIVE,
                           plans)
                continue
            halves = ((date(year, 3, 9), date(year, 6, 26)), (date(year, 9, 7), date(year, 11, 27)))
            for number, (low, high) in enumerate(halves):
                if number == 1 and rng.random() < 0.3:  # the second half-year's drill missed
                    continue
                when = "上半年" if number == 0 else "下半年"
                self.drill(unit, f"{year}年{when}{names.INSTITUTION_FIRE_THEME}",
                           self.pick(low, high), Style(minutes=(30, 60), people=(40, 200)), plans)


    # --- records and corrective actions

    def records(self) -> None:
        """Choose the held drills with record documents and those whose findings need actions."""
        rng, year = self.rng, self.year
        held = [s for s in self.stories if s.outcome == HELD and s.held_on.year == year]
        liaison = sorted((s for s in held if s.unit.id in self.liaison_units
                          and s.unit.kind in SCHOOL_KINDS), key=lambda s: s.held_on)
        others = [s for s in held if s.unit.id not in self.liaison_units]

        def some(kind_test, count: int) -> list[DrillStory]:
            pool = [s for s in others if kind_test(s.unit)]
            return rng.sample(pool, min(count, len(pool)))

        chosen = (some(must_report, 14) + some(lambda u: u.kind == UnitKind.UNIVERSITY, 4)
                  + some(lambda u: u.kind == UnitKind.SCHOOL, 6)
                  + some(lambda u: u.kind == UnitKind.KINDERGARTEN, 2)
                  + some(lambda u: u.kind == UnitKind.TOWN_STREET, 4)
                  + some(lambda u: u.kind == UnitKind.PUBLIC_INSTITUTION, 3))
        for story in sorted({s.order: s for s in chosen}.values(), key=lambda s: s.order):
            lacking = None
            if rng.random() < 0.3:  # the record was never finished
                lacking = rng.choice((DocType.DRILL_ASSESSMENT, DocType.DRILL_SUMMARY))
            self.document(story, lacking)
        # The liaison's school keeps its last three records; the newest still lacks its summary.
        for story in liaison[-3:]:
            self.document(story, DocType.DRILL_SUMMARY if story is liaison[-1] else None)
        for story in held:  # the demo firm's liaison documents its drills in full
            if story.unit.id in self.liaison_units and story.unit.kind == UnitKind.ENTERPRISE \
                    and not story.documented:
                self.document(story, None)
        # Actions come mostly from drills with records (their evaluation found the problems).
        documented = [s for s in others if s.documented]
        undocumented = [s for s in others if not s.documented]
        rng.shuffle(documented)
        rng.shuffle(undocumented)
        candidates = documented + undocumented
        for outcome in ACTION_OUTCOMES:
            for story in candidates:
                if story.action_count == 0 and self.action(story, outcome):
                    break
        # The liaison: one verified action from the spring, one open and due within the week.
        for story in liaison:
            if story.held_on.month >= 3 and self.action(story, VERIFIED):
                break
        if liaison:
            self.action(liaison[-1], OPEN_DUE, due=self.today + timedelta(days=5))

    def document(self, story: DrillStory, lacking: str | None) -> None:
        """Add the record documents of a held drill: the scheme, and the reports unless lacking."""
        entered = story.steps[0].day
        scheme_day = self.pick(max(entered, story.held_on - timedelta(days=10)), story.held_on)
        story.steps.append(Step(scheme_day or story.recorded, "document",
                                {"doc_type": DocType.DRILL_SCHEME}))
        for doc_type in (DocType.DRILL_ASSESSMENT, DocType.DRILL_SUMMARY):
            if doc_type != lacking:
                day = self.pick(story.recorded, min(story.recorded + timedelta(days=8), self.last))
                story.steps.append(Step(day or story.recorded, "document", {"doc_type": doc_type}))
        story.documented, story.lacking = True, lacking

    def action(self, story: DrillStory, outcome: str, due: date | None = None) -> bool:
        """Raise a corrective action from a held drill so that it ends in `outcome` on `today`.

        Return False (adding nothing) when the drill's dates leave no room for that outcome.
        """
        rng, last, today = self.rng, self.last, self.today
        added = self.pick(story.recorded, min(story.recorded + timedelta(days=3), last))
        if added is None:
            return False
        steps = []
        if outcome == OPEN_DUE:
            due = due or added + timedelta(days=rng.randint(20, 45))
            if due < today + timedelta(days=3):
                return False
        elif outcome == OPEN_LATE:
            due = added + timedelta(days=rng.randint(10, 30))
            if due >= last:
                return False
        else:
            due = added + timedelta(days=rng.randint(15, 40))
            if outcome == CLOSED:  # closed lately, about when it was due
                if added < today - timedelta(days=75):
                    return False
                closed = self.pick(max(added + timedelta(days=5), today - timedelta(days=20)),
                                   last)
                if closed is not None:
                    due = max(closed + timedelta(days=rng.randint(-6, 15)),
                              added + timedelta(days=7))
            else:
                closed = self.pick(added + timedelta(days=5),
                                   min(due + timedelta(days=5), last - timedelta(days=3)))
            if closed is None:
                return False
            steps.append(Step(closed, "evidence", {
                "name": "整改前照片" if outcome == REOPENED else "整改佐证材料"}))
            steps.append(Step(closed, "close", {"note": rng.choice(names.CLOSING_NOTES)}))
            if outcome in (VERIFIED, REOPENED):
                answered = self.pick(closed + ONE_DAY, min(closed + timedelta(days=10), last))
                if answered is None:
                    return False
                steps.append(Step(answered, "verify" if outcome == VERIFIED else "reopen"))
        group = _group(story.unit)
        used = self.findings.setdefault(story.unit.id, set())
        findings = [f for f in _FINDINGS[group] if f[0] not in used]
        if not findings:
            return False
        title, description = rng.choice(findings)
        used.add(title)
        steps.insert(0, Step(added, "action", {
            "data": ActionData(title=title, owner=rng.choice(names.ACTION_OWNERS[group]),
                               due_on=due, description=description)}))
        for step in steps:
            step.args["index"] = story.action_count
        story.action_count += 1
        story.steps += steps
        return True


_FINDINGS = {"school": names.SCHOOL_FINDINGS, "enterprise": names.ENTERPRISE_FINDINGS,
             "town": names.TOWN_FINDINGS, "other": names.OTHER_FINDINGS}


def _group(unit: Unit) -> str:
    if unit.kind in SCHOOL_KINDS:
        return "school"
    if unit.kind == UnitKind.ENTERPRISE:
        return "enterprise"
    if unit.kind in (UnitKind.TOWN_STREET, UnitKind.VILLAGE_COMMUNITY):
        return "town"
    return "other"


def _subtype(plan: Plan) -> str | None:
    for subtype in names.TOWN_DRILL_THEMES:
        if subtype and subtype in plan.title:
            return subtype
    return None


def _china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def _clock(rng: random.Random, steps: list[Step]) -> None:
    """Give each step a time of day, later than the drill's previous step on the same day."""
    previous_day, minute = None, 0
    for step in steps:
        if step.day == previous_day:
            minute = min(minute + rng.randint(5, 40), 23 * 60 + 59)
        elif step.action == "held" and step.args["data"].held_on == step.day:
            minute = 14 * 60 + rng.randint(0, 3 * 60)  # recorded the afternoon after the drill
        else:
            minute = 8 * 60 + 30 + rng.randint(0, 8 * 60)
        previous_day = step.day
        step.at = datetime.combine(step.day, time(), CHINA) + timedelta(minutes=minute)


# --- document contents ---------------------------------------------------------------------


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def drill_document(story: DrillStory, doc_type: str) -> tuple[str, bytes]:
    """Return the file name and bytes of a drill record document (方案, 评估报告, 总结报告)."""
    unit, title, drill = story.unit, story.title, story.drill
    day = drill.held_on or drill.planned_on
    if doc_type == DocType.DRILL_ASSESSMENT:
        name = f"{unit.name}{title}评估报告"
        return f"{name}.pdf", pdf_bytes(name, f"drill assessment {day.isoformat()}", day)
    if doc_type == DocType.DRILL_SCHEME:
        lines = [f"{unit.name}{title}方案",
                 "一、演练目的",
                 f"检验{unit.name}应急预案的可操作性，提高参演人员的应急处置和自救互救能力。",
                 "二、演练时间和地点",
                 f"{_chinese_date(drill.planned_on)}，{unit.address}。",
                 "三、组织机构",
                 "设演练领导小组，下设导调组、疏散引导组、安全保障组和评估组。",
                 "四、演练程序",
                 "发出警报—启动响应—疏散引导—集合清点—报告—点评总结。",
                 "五、安全保障",
                 "演练前检查疏散通道和集合场地，安排专人负责安全警戒。"]
        return f"{lines[0]}.docx", docx_bytes(lines, drill.planned_on)
    lines = [f"{unit.name}{title}总结报告",
             "一、演练概况",
             f"{_chinese_date(day)}，{unit.name}组织开展{title}，参演{drill.participants}人，"
             f"历时{drill.duration_minutes}分钟。",
             "二、演练效果",
             drill.summary or "演练按方案完成。"]
    if drill.evacuation_seconds:
        lines.insert(3, f"从发出警报到全部人员撤离至集合点用时{drill.evacuation_seconds}秒。")
    lines += ["三、存在问题和改进措施", "对演练中发现的问题逐项明确责任人和整改时限。"]
    return f"{lines[0]}.docx", docx_bytes(lines, day)


# --- running the stories -------------------------------------------------------------------


class _Runner(StoryRunner):
    """Run every drill story's steps in date order through the services."""

    stamped = {Drill: ("created_at", "updated_at"), DrillChange: ("at",),
               CorrectiveAction: ("created_at",), ActionEvent: ("at",), Document: ("uploaded_at",)}
    touched = Drill

    def __init__(self, users: _Users):
        super().__init__()
        self.users = users

    def _user(self, story: DrillStory):
        return self.users.unit_user(story.unit)

    def _plan(self, story: DrillStory, step: Step) -> None:
        style = story.style
        data = DrillData(title=story.title, planned_on=story.planned_on, form=style.form,
                         scope=style.scope, purpose=style.purpose,
                         plan_ids=[plan.id for plan in story.plans])
        story.drill = plan_drill(story.unit, data, self._user(story), step.day)

    def _reschedule(self, story: DrillStory, step: Step) -> None:
        reschedule(story.drill, step.args["to"], step.args["reason"], self._user(story), step.day)

    def _cancel(self, story: DrillStory, step: Step) -> None:
        cancel(story.drill, step.args["reason"], self._user(story))

    def _held(self, story: DrillStory, step: Step) -> None:
        record_held(story.drill, step.args["data"], self._user(story), step.day)

    def _document(self, story: DrillStory, step: Step) -> None:
        name, data = drill_document(story, step.args["doc_type"])
        self._save(name, data, Owner(story.unit.id, drill_id=story.drill.id),
                   step.args["doc_type"], story, step)

    def _save(self, name: str, data: bytes, owner: Owner, doc_type: str, story: DrillStory,
              step: Step) -> None:
        upload = FileStorage(io.BytesIO(data), filename=name)
        self.documents.append(save_upload(upload, owner, doc_type, self._user(story), step.day))

    def _action(self, story: DrillStory, step: Step) -> None:
        story.actions.append(add_action(story.drill, step.args["data"], self._user(story),
                                        step.day))

    def _evidence(self, story: DrillStory, step: Step) -> None:
        action = story.actions[step.args["index"]]
        name = f"{action.title}{step.args['name']}"
        self._save(f"{name}.pdf", pdf_bytes(name, f"action evidence {step.day}", step.day),
                   Owner(story.unit.id, action_id=action.id), DocType.ACTION_EVIDENCE, story,
                   step)

    def _close(self, story: DrillStory, step: Step) -> None:
        close_action(story.actions[step.args["index"]], step.args["note"], self._user(story),
                     step.day)

    def _verify(self, story: DrillStory, step: Step) -> None:
        verify_action(story.actions[step.args["index"]], self.users.office(story.unit), step.day)

    def _reopen(self, story: DrillStory, step: Step) -> None:
        reopen_action(story.actions[step.args["index"]], names.REOPEN_COMMENT,
                      self.users.office(story.unit))


# --- entry point ---------------------------------------------------------------------------


def load_drills(today: date, seed: str) -> DrillSummary:
    """Give the demo units about a year of drills ending on `today`; flush, never commit."""
    rng = random.Random(seed)
    units = list(db.session.scalars(select(Unit).order_by(Unit.id)))
    plans: dict[int, list[Plan]] = {}
    for plan in db.session.scalars(select(Plan).where(Plan.is_archived.is_(False))
                                   .order_by(Plan.id)):
        plans.setdefault(plan.unit_id, []).append(plan)
    users = _Users()
    teller = _Teller(rng, today, load_calendar(), plans, set(users.liaisons))
    by_kind: dict[str, list[Unit]] = {}
    for unit in units:
        by_kind.setdefault(unit.kind, []).append(unit)
    teller.schools(by_kind.get(UnitKind.SCHOOL, []))
    teller.kindergartens(by_kind.get(UnitKind.KINDERGARTEN, []))
    teller.universities(by_kind.get(UnitKind.UNIVERSITY, []))
    teller.enterprises(by_kind.get(UnitKind.ENTERPRISE, []))
    teller.towns(by_kind.get(UnitKind.TOWN_STREET, []))
    teller.villages(by_kind.get(UnitKind.VILLAGE_COMMUNITY, []))
    teller.departments(by_kind.get(UnitKind.GOVERNMENT_DEPARTMENT, []))
    teller.institutions(by_kind.get(UnitKind.PUBLIC_INSTITUTION, []))
    teller.records()
    for story in teller.stories:
        story.steps.sort(key=lambda step: step.day)  # stable: same-day steps keep their order
        _clock(rng, story.steps)
    runner = _Runner(users)
    runner.run(teller.stories)
    return _summary(teller.stories, runner, today)


def _summary(stories: list[DrillStory], runner: _Runner, today: date) -> DrillSummary:
    states = Counter(story.drill.status for story in stories)
    actions = [action for story in stories for action in story.actions]
    action_states = Counter(action.status for action in actions)
    return DrillSummary(
        drills=len(stories),
        states={str(s): states[s] for s in DrillStatus if states[s]},
        rescheduled=sum(any(step.action == "reschedule" for step in story.steps)
                        for story in stories),
        documented=sum(story.documented for story in stories),
        lacking_reports=sum(story.lacking is not None for story in stories),
        documents=len(runner.documents),
        actions=len(actions),
        action_states={str(s): action_states[s] for s in ActionStatus if action_states[s]},
        overdue_actions=sum(a.status == ActionStatus.OPEN and a.due_on < today for a in actions),
    )
