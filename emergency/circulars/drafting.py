"""The draft text of a circular, worded from its figures in the user's language.

The office edits these paragraphs before sending; the tables are never edited (they are
regenerated from the data on every request).
"""

from collections import Counter
from datetime import date, timedelta

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from emergency.circulars.figures import CATEGORY_ORDER
from emergency.circulars.report import Circular, County

CATEGORIES = {
    "no_plan": _l("No plan drawn up"),
    "filing": _l("Plan not filed on time"),
    "evaluation": _l("Plan not evaluated on time"),
    "revision": _l("Plan not revised on time"),
    "drills": _l("Drills not held as required"),
    "actions": _l("Corrective actions not closed on time"),
    "other": _l("Other overdue items"),
}
HEADINGS = {
    "overdue": _l("1. Overdue items"),
    "progress": _l("2. Progress since last month"),
    "requirements": _l("3. Requirements"),
}
UNIT_COLUMNS = (_l("No."), _l("Town / street"), _l("Unit"), _l("Overdue items"),
                _l("At the end of last month"), _l("Kinds of items"))
CHANGE_COLUMNS = (_l("County / district"), _l("Units, end of last month"),
                  _l("Items, end of last month"), _l("Units now"), _l("Items now"), _l("Change"),
                  _l("Items dealt with"))
#: Names listed in full before "and N more" in the improvements paragraph.
NAMES_LISTED = 10
#: Days the units named get to report back, counted from the issue date.
REPORT_BACK_DAYS = 30
_NUMERALS = "一二三四五六七八九"


def _zh() -> bool:
    return str(get_locale()).startswith("zh")


def long_date(day: date) -> str:
    """Return a date as written in a document: 2026年10月31日 / October 31, 2026."""
    return format_date(day, "long")


def sentences(*parts: str) -> str:
    """Run sentences together: no space between them in Chinese, one in English."""
    return ("" if _zh() else " ").join(p for p in parts if p)


def join(parts) -> str:
    """Join list items the way the language does (顿号 in Chinese)."""
    return ("、" if _zh() else ", ").join(str(p) for p in parts)


def numeral(n: int) -> str:
    """Return a section number as the language writes it: 一, 十二, 二十一 / 12."""
    if not _zh() or not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    text = ("" if tens <= 1 else _NUMERALS[tens - 1]) + ("十" if tens else "")
    return text + (_NUMERALS[ones - 1] if ones else "")


def county_name(county: County) -> str:
    """Name a county section; units above county level are "directly under" their region."""
    name = county.region.name if county.region else county.code
    return _("Units directly under %(region)s", region=name) if county.is_direct else name


def town_name(town, county: County) -> str:
    """Name a town row; units placed in the county itself are "directly under" the county."""
    if town.region is not None:
        return town.region.name
    return "—" if county.is_direct else _("Units directly under %(region)s",
                                          region=county_name(county))


def county_heading(number: int, county: County) -> str:
    return _("(%(number)s) %(county)s: %(units)s units with %(items)s overdue items "
             "(%(previous)s at the end of last month)", number=numeral(number),
             county=county_name(county), units=county.units, items=county.items,
             previous=county.previous_items)


def county_rows(county: County) -> list[dict]:
    """Return the table rows of a county: numbered units, each town named on its first row."""
    rows, number = [], 0
    for town in county.listed_towns:
        for index, unit in enumerate(town.units):
            number += 1
            rows.append({"number": number, "town": town_name(town, county),
                         "town_rows": len(town.units) if index == 0 else 0, "name": unit.name,
                         "items": unit.items, "previous": unit.previous,
                         "kinds": categories_text(unit.categories)})
    return rows


def change_rows(circular: Circular) -> list[tuple]:
    """Return (county, units before, items before, units now, items now, change, dealt with) rows,
    with a total row when there is more than one county."""
    rows = [(county_name(c), c.previous_units, c.previous_items, c.units, c.items,
             signed(c.change), c.resolved) for c in circular.counties]
    if len(rows) > 1:
        rows.append((_("Total"), circular.previous_units, circular.previous_items, circular.units,
                     circular.items, signed(circular.change), circular.resolved))
    return rows


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def categories_text(categories) -> str:
    """Describe the kinds of items, e.g. 未编制预案1项、逾期未备案2项."""
    return join(_("%(label)s: %(count)s", label=CATEGORIES[c], count=n) for c, n in categories)


def default_title(circular: Circular) -> str:
    return _("Circular on emergency plan management in %(month)s/%(year)s",
             year=circular.month.year, month=circular.month.month)


def default_addressees(circular: Circular) -> str:
    return _("To the units concerned in %(region)s:", region=circular.region.name)


def default_issuer(circular: Circular) -> str:
    return _("%(region)s Emergency Management Bureau", region=circular.region.name)


def default_lead(circular: Circular) -> str:
    """Open the circular: why it is sent, then the headline figures (or that there are none)."""
    day, region = long_date(circular.current.as_of), circular.region.name
    intro = _("To make sure that emergency plans are drawn up, filed, evaluated and revised and "
              "drills held as required, the situation in %(region)s as of %(day)s is reported "
              "as follows.", region=region, day=day)
    if not circular.items:
        return sentences(intro, _("As of %(day)s no unit in %(region)s had an overdue item: "
                                  "every plan, "
                         "filing, evaluation, revision and drill was done on time or is not due "
                         "yet.", day=day, region=region))
    return sentences(
        intro, _("As of %(day)s, %(units)s units in %(region)s had %(items)s overdue items.",
                 day=day, units=circular.units, region=region, items=circular.items),
        _("Of these: %(list)s.", list=categories_text(_category_totals(circular))))


def _category_totals(circular: Circular) -> list[tuple[str, int]]:
    totals = Counter()
    for counts in circular.current.items.values():
        totals.update(counts)
    return [(c, totals[c]) for c in (*CATEGORY_ORDER, "other") if totals[c]]


def default_improvements(circular: Circular) -> str:
    """Compare with the previous month's end: the change, the items dealt with, units cleared."""
    day = long_date(circular.previous.as_of)
    before, now = circular.previous_items, circular.items
    counts = dict(day=day, before=before, now=now, diff=abs(now - before),
                  units_before=circular.previous_units, units_now=circular.units)
    if now < before:
        text = _("Compared with the end of last month (%(day)s), overdue items fell from "
                 "%(before)s "
                 "to %(now)s (%(diff)s fewer), and units with overdue items went from "
                 "%(units_before)s to %(units_now)s.", **counts)
    elif now > before:
        text = _("Compared with the end of last month (%(day)s), overdue items rose from "
                 "%(before)s "
                 "to %(now)s (%(diff)s more), and units with overdue items went from "
                 "%(units_before)s to %(units_now)s.", **counts)
    else:
        text = _("Compared with the end of last month (%(day)s), the number of overdue items is "
                 "unchanged at %(now)s.", **counts)
    if before and circular.resolved:
        dealt = _("%(resolved)s of the items overdue at the end of last month have been dealt "
                  "with since.", resolved=circular.resolved)
    elif before:
        dealt = _("None of the %(before)s items overdue at the end of last month has been dealt "
                  "with yet.", before=before)
    else:
        dealt = ""
    return sentences(text, dealt, _cleared_text(circular), _best_counties_text(circular))


def _cleared_text(circular: Circular) -> str:
    names = circular.cleared
    if not names:
        return ""
    listed = join(names[:NAMES_LISTED])
    if len(names) > NAMES_LISTED:
        listed = _("%(names)s and others, %(total)s units in all,", names=listed, total=len(names))
    return _("%(units)s have dealt with all their overdue items.", units=listed)


def _best_counties_text(circular: Circular) -> str:
    best = sorted((c for c in circular.counties if c.resolved), key=lambda c: -c.resolved)[:3]
    if len(circular.counties) < 2 or not best:
        return ""
    named = [_("%(county)s (%(count)s items dealt with)", county=county_name(c), count=c.resolved)
             for c in best]
    return _("The most progress was made in %(list)s.", list=join(named))


def default_requirements(circular: Circular, issuer: str, issued_on: date) -> str:
    """Close with what the units and the offices below must do (one paragraph per line)."""
    assessment = circular.current.as_of.year
    if not circular.items:
        return _("Every unit shall keep to the rules on drawing up, filing, evaluating and "
                 "revising "
                 "emergency plans and on drills, and upload its records on time so that no item "
                 "becomes overdue before the %(year)s assessment.", year=assessment)
    deadline = long_date(issued_on + timedelta(days=REPORT_BACK_DAYS))
    return "\n".join((
        _("(1) The units named in this circular shall take it seriously: their principal heads "
          "shall see to it that every overdue item is dealt with, and report the result to "
          "%(issuer)s by %(deadline)s.", issuer=issuer, deadline=deadline),
        _("(2) The emergency management offices of the counties and towns shall supervise and "
          "guide the work, keep a list of the problems, strike each one off when it is dealt with, "
          "and make sure that everything is in order before the %(year)s assessment.",
          year=assessment),
        _("(3) Every unit shall keep to the rules on drawing up, filing, evaluating and revising "
          "emergency plans and on drills, upload its records on time, and avoid new overdue "
          "items."),
    ))


def default_text(circular: Circular, today: date) -> dict:
    """Return the draft's editable fields, as the form takes them."""
    issuer = default_issuer(circular)
    return {
        "title": default_title(circular), "addressees": default_addressees(circular),
        "lead": default_lead(circular), "improvements": default_improvements(circular),
        "requirements": default_requirements(circular, issuer, today), "issuer": issuer,
        "issued_on": today,
    }
