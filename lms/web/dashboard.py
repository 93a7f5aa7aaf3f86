"""The officials' dashboard (docs/reporting.md, "Dashboard"): a unit's figures per target group, its child
units ranked by rate (thi đua), the trend by quarter, with filters in a plain GET form, and the exports of
exactly those tables; and the commune's follow-up list ("Follow-up list").

Every table is built once, by `build()` from the reading service (`lms.services.reports`: summary rows only,
never the facts), and the page and each export render that same `lms.domain.tables.Table`. The routes hang on
the officials' blueprint and go through its one scope check (`official_route`); the filters are parsed the
same way for the page and the exports, and a bad one is a 400 page, never a 500.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask import g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from ..domain import charts
from ..domain.framework import framework
from ..domain.quarters import VIETNAM, Quarter
from ..domain.tables import ENGLISH, VIETNAMESE, Column, Kind, Table, percent
from ..extensions import db
from ..models import Unit
from ..services import audit, followup, reports
from ..services.officials import OFFICIAL, Scope
from .exports import table_download
from .helpers import audited, now
from .officials import KINDS, bp, official_route

FIRST_QUARTER = Quarter(2025, 1)
TREND_QUARTERS = 8
FILTERS = ("quarter", "group", "program", "course")
TABLES = ("groups", "children", "trend")
FORMATS = ("csv", "xlsx", "pdf")


class BadFilter(Exception):
    """A filter parameter that is not one the page offers: a 400 page with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@bp.errorhandler(BadFilter)
def _bad_filter(error: BadFilter) -> tuple[str, int]:
    db.session.rollback()
    return render_template("officials/refused.html", title=_("These filters cannot be shown"),
                           message=error.message), 400


@dataclass(frozen=True)
class Filters:
    quarter: Quarter
    group: int | None = None
    program: str | None = None
    course: reports.CourseChoice | None = None

    @property
    def period(self) -> int:
        return self.quarter.year * 10 + self.quarter.number

    def args(self) -> dict[str, str]:
        """The filters as query parameters (the defaults left out), for links that keep them."""
        out: dict[str, str] = {} if self.quarter == current_quarter() else {"quarter": str(self.quarter)}
        if self.group is not None:
            out["group"] = str(self.group)
        if self.program:
            out["program"] = self.program
        if self.course is not None:
            out["course"] = self.course.slug
        return out


def current_quarter() -> Quarter:
    return Quarter.of(now())


def parse_filters(args: Mapping[str, Any], extra: Iterable[str] = ()) -> Filters:
    """The filters of a dashboard or export URL, checked against what the page offers (BadFilter otherwise):
    an unknown or repeated parameter, a quarter that is not one of 2025Q1 … the current one, a group, program
    or course that does not exist."""
    allowed = set(FILTERS) | set(extra)
    for name in args:
        if name not in allowed:
            raise BadFilter(_("Unknown parameter “%(name)s”.", name=name[:40]))
        getlist = getattr(args, "getlist", None)
        if getlist is not None and len(getlist(name)) > 1:
            raise BadFilter(_("The parameter “%(name)s” is given more than once.", name=name))
    latest = current_quarter()
    quarter = latest
    raw = str(args.get("quarter", "")).strip()
    if raw:
        try:
            quarter = Quarter.parse(raw)
        except ValueError:
            raise BadFilter(_("“%(value)s” is not a quarter (write it like 2025Q3).", value=raw[:20])) from None
        if not FIRST_QUARTER <= quarter <= latest:
            raise BadFilter(_("Figures exist from %(first)s to %(last)s.", first=FIRST_QUARTER, last=latest))
    group = None
    raw = str(args.get("group", "")).strip()
    if raw:
        codes = {g.code for g in framework().target_groups}
        if raw not in codes:
            raise BadFilter(_("There is no target group “%(value)s”.", value=raw[:20]))
        group = int(raw)
    programs, courses = _filter_choices()
    program = str(args.get("program", "")).strip() or None
    if program is not None and program not in programs:
        raise BadFilter(_("There is no programme “%(value)s”.", value=program[:60]))
    course = None
    raw = str(args.get("course", "")).strip()
    if raw:
        course = next((c for c in courses if c.slug == raw), None)
        if course is None:
            raise BadFilter(_("There is no published course “%(value)s”.", value=raw[:60]))
    return Filters(quarter, group, program, course)


# --- wording ---------------------------------------------------------------------------------------------

def _vi() -> bool:
    return str(get_locale()) == "vi"


def _style() -> Any:
    return VIETNAMESE if _vi() else ENGLISH


def group_name(code: int) -> str:
    names = g.get("_group_names")
    if names is None:  # once per request: the tables name a group on every row
        locale = str(get_locale())
        names = g._group_names = {int(t.code): t.name(locale) for t in framework().target_groups}
    return names.get(code) or framework().target_group(code).name(str(get_locale()))


def quarter_label(quarter: Quarter) -> str:
    return quarter.label("vi" if _vi() else "en")


def _moment(value: datetime) -> str:
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


_UNREAD = object()


def _filter_choices() -> tuple[list[str], list[reports.CourseChoice]]:
    """reports.filter_choices, read once per request (the filters' parsing and the form both need it)."""
    found = g.get("_filter_choices")
    if found is None:
        found = g._filter_choices = reports.filter_choices(db.session)
    return found  # type: ignore[no-any-return]


def as_of(unit: Unit, filters: Filters, changed: Any = _UNREAD) -> tuple[datetime, str]:
    """The moment the figures hold (the quarter's end, or now while it runs) and how it reads, with the last
    change of the summary rows read (`changed`, when the caller read the figures; else reports.as_of)."""
    moment = min(now(), filters.quarter.end.astimezone(timezone.utc))
    if moment >= filters.quarter.end:
        text = _("Figures as of the end of %(quarter)s (%(day)s).", quarter=quarter_label(filters.quarter),
                 day=filters.quarter.last_day.strftime("%d/%m/%Y"))
    else:
        text = _("Figures as of %(moment)s (Vietnam time), %(quarter)s not yet ended.", moment=_moment(moment),
                 quarter=quarter_label(filters.quarter))
    if changed is _UNREAD:
        changed = reports.as_of(db.session, unit.code, filters.period)
    if changed is not None:
        text += " " + _("Last change: %(moment)s.", moment=_moment(changed))
    return moment, text


def filter_lines(unit: Unit, filters: Filters) -> tuple[str, ...]:
    lines = [_("Unit: %(name)s (%(code)s)", name=unit.name, code=unit.code),
             _("Quarter: %(quarter)s", quarter=quarter_label(filters.quarter)),
             _("Target group: %(group)s", group=group_name(filters.group) if filters.group else _("all"))]
    if filters.course is not None:
        lines.append(_("Course: %(title)s", title=filters.course.title))
    else:
        lines.append(_("Programme: %(program)s", program=filters.program or _("the one that applies to each group")))
    return tuple(lines)


def _rate(achieved: int, population: int | None, registered: int) -> Decimal | None:
    """The rate exactly as the table computes it (÷ population, else ÷ registered)."""
    return percent(achieved, registered if population is None else population)


def _status(rate: Decimal | None, target: int | None) -> str:
    words = g.get("_status_words")
    if words is None:  # translated once per request: a ranked table asks for hundreds of statuses
        words = g._status_words = (_("No target"), _("No rate"), _("Target met"), _("Below target"))
    if target is None:
        return words[0]
    if rate is None:
        return words[1]
    return words[2] if rate >= target else words[3]


# --- the tables ------------------------------------------------------------------------------------------

@dataclass
class Dashboard:
    unit: Unit
    filters: Filters
    as_of: datetime
    as_of_text: str
    groups: Table
    children: Table | None
    chart: charts.Chart | None
    child_units: list[Unit]
    unfiltered: tuple[int, list[reports.Figures]] | None = None  # (period, figures) when no filter narrowed them

    def table(self, name: str) -> Table | None:
        if name == "trend":
            return None if self.chart is None else self.chart.table
        return self.groups if name == "groups" else self.children


def _table(title: str, moment: datetime, text: str, columns: list[Column], rows: list[dict[str, Any]],
           lines: tuple[str, ...], totals: dict[str, Any] | None = None, notes: tuple[str, ...] = ()) -> Table:
    return Table(title=title, as_of=moment, as_of_text=text, columns=tuple(columns), rows=rows, totals=totals,
                 filters=lines, notes=notes, fallback_label=_("÷ registered"), basis_label=_("Denominator"),
                 style=_style())


def _program_columns(first: Column, with_target: bool) -> list[Column]:
    columns = [first,
               Column("registered", _("Registered"), Kind.INTEGER),
               Column("verified", _("Verified"), Kind.INTEGER),
               Column("started", _("Started"), Kind.INTEGER),
               Column("completed", _("Completed a course"), Kind.INTEGER),
               Column("achieved", _("Achieved"), Kind.INTEGER),
               Column("population", _("Target population"), Kind.INTEGER),
               Column("rate", _("Rate"), Kind.PERCENT, numerator="achieved", denominator="population",
                      fallback="registered")]
    if with_target:
        columns += [Column("target", _("Target"), Kind.PERCENT),
                    Column("gap", _("Gap to target (points)"), Kind.PERCENT),
                    Column("status", _("Status"))]
    return columns


def _course_columns(first: Column) -> list[Column]:
    return [first,
            Column("enrolled", _("Joined the course"), Kind.INTEGER),
            Column("completed", _("Completed it"), Kind.INTEGER),
            Column("certified", _("Certified (valid)"), Kind.INTEGER),
            Column("rate", _("Completion rate"), Kind.PERCENT, numerator="completed", denominator="enrolled")]


def _program_row(label: str, f: reports.Figures | None, **extra: Any) -> dict[str, Any]:
    if f is None:
        return {"label": label, "registered": 0, "verified": 0, "started": 0, "completed": 0, "achieved": 0,
                "population": None, "target": None, "gap": None, "status": _status(None, None), **extra}
    rate = _rate(f.achieved, f.population, f.registered)
    return {"label": label, "registered": f.registered, "verified": f.verified, "started": f.started,
            "completed": f.completed, "achieved": f.achieved, "population": f.population, "target": f.target,
            "gap": None if f.target is None or rate is None else Decimal(f.target) - rate,
            "status": _status(rate, f.target), **extra}


def _sum_rows(label: str, rows: list[dict[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"label": label}
    for key in keys:
        out[key] = sum(r[key] for r in rows)
    if "population" in out or any("population" in r for r in rows):
        pops = [r.get("population") for r in rows]
        out["population"] = None if not rows or any(p is None for p in pops) else sum(pops)  # type: ignore[arg-type]
    return out


COUNTS = ("registered", "verified", "started", "completed", "achieved")
COURSE_COUNTS = ("enrolled", "completed", "certified")


def build(unit: Unit, filters: Filters) -> Dashboard:
    """Every table of the dashboard, from the reading service only."""
    session = db.session
    figures: list[reports.Figures] = []
    if filters.course is None:
        figures, changed = reports.figures_as_of(session, unit, filters.period, group=filters.group,
                                                 program=filters.program)
        moment, text = as_of(unit, filters, changed)
    else:
        moment, text = as_of(unit, filters)
    lines = filter_lines(unit, filters)
    kids = reports.child_units(session, unit, filters.period)
    names = {k.code: k.name for k in kids}
    notes = (_("Rate = achieved ÷ target population; where no population is known, ÷ registered people, "
               "marked “÷ registered”. Gap = target − rate, in percentage points."),)
    group_label = Column("label", _("Target group"))
    unit_label = Column("label", _("Unit"))
    chart = None
    if filters.course is not None:
        rows = [{"label": group_name(c.group), "enrolled": c.enrolled, "completed": c.completed,
                 "certified": c.certified}
                for c in reports.course_figures(session, [unit.code], filters.period, filters.course.id,
                                                group=filters.group)]
        groups = _table(_("%(unit)s: the course by target group", unit=unit.name), moment, text,
                        _course_columns(group_label), rows, lines,
                        _sum_rows(_("All groups"), rows, COURSE_COUNTS) if len(rows) > 1 else None)
        children = None
        if kids:
            per: dict[str, dict[str, Any]] = {k.code: {"label": k.name, **dict.fromkeys(COURSE_COUNTS, 0)}
                                              for k in kids}
            for c in reports.course_figures(session, list(names), filters.period, filters.course.id,
                                            group=filters.group):
                for key in COURSE_COUNTS:
                    per[c.unit_code][key] += getattr(c, key)
            ranked = _ranked(list(per.values()), lambda r: percent(r["completed"], r["enrolled"]))
            children = _table(_("Units under %(unit)s, ranked by completion rate", unit=unit.name), moment, text,
                              [unit_label, Column("rank", _("Rank"), Kind.INTEGER), *_course_columns(unit_label)[1:]],
                              ranked, lines)
        return Dashboard(unit, filters, moment, text, groups, children, None, kids)

    rows = [_program_row(group_name(f.group), f) for f in figures]
    totals = _sum_rows(_("All groups"), rows, COUNTS) if len(rows) > 1 else None
    groups = _table(_("%(unit)s: figures by target group", unit=unit.name), moment, text,
                    _program_columns(group_label, True), rows, lines, totals, notes)
    children = None
    if kids:
        found = reports.children(session, unit, filters.period, group=filters.group, program=filters.program,
                                 kids=kids)
        if filters.group is not None:
            by_code = {f.unit_code: f for f in found}
            child_rows = [_program_row(k.name, by_code.get(k.code)) for k in kids]
        else:
            child_rows = []
            of_unit: dict[str, list[reports.Figures]] = {}
            for f in found:
                of_unit.setdefault(f.unit_code, []).append(f)
            below_target = _("Below target")
            for k in kids:
                mine = [_program_row(k.name, f) for f in of_unit.get(k.code, ())]
                row = _sum_rows(k.name, mine, COUNTS) if mine else _program_row(k.name, None)
                below = sum(1 for r in mine if r["status"] == below_target)
                targets = sum(1 for r in mine if r["target"] is not None)
                row["status"] = (_("No target") if not targets else
                                 _("Below target in %(below)d of %(groups)d groups", below=below, groups=targets)
                                 if below else _("Target met in all %(groups)d groups", groups=targets))
                child_rows.append(row)
        ranked = _ranked(child_rows, lambda r: _rate(r["achieved"], r.get("population"), r["registered"]))
        columns = _program_columns(unit_label, filters.group is not None)
        if filters.group is None:
            columns.append(Column("status", _("Status")))
        children = _table(_("Units under %(unit)s, ranked by rate", unit=unit.name), moment, text,
                          [columns[0], Column("rank", _("Rank"), Kind.INTEGER), *columns[1:]], ranked, lines,
                          notes=notes)
    chart = _trend(unit, filters, moment, text)
    unfiltered = (filters.period, figures) if filters.group is None and filters.program is None else None
    return Dashboard(unit, filters, moment, text, groups, children, chart, kids, unfiltered)


def _ranked(rows: list[dict[str, Any]], rate: Any) -> list[dict[str, Any]]:
    """Best rate first (no rate last), ties share a rank, then by name."""
    keyed = sorted(((rate(r), r) for r in rows), key=lambda p: (p[0] is None, -(p[0] or 0), p[1]["label"]))
    out, previous, rank = [], object(), 0
    for index, (value, row) in enumerate(keyed, 1):
        if value != previous:
            rank, previous = index, value
        out.append({**row, "rank": rank})
    return out


def _trend(unit: Unit, filters: Filters, moment: datetime, text: str) -> charts.Chart:
    quarters = [filters.quarter]
    while len(quarters) < TREND_QUARTERS and quarters[-1] > FIRST_QUARTER:
        quarters.append(quarters[-1].previous)
    quarters.reverse()
    periods = [q.year * 10 + q.number for q in quarters]
    wanted = [filters.group] if filters.group is not None else [int(g.code) for g in framework().target_groups]
    found = reports.trend(db.session, unit, wanted, periods, program=filters.program)
    per = [found[p] for p in periods]
    group_codes = sorted({f.group for rows in per for f in rows} | set(wanted if filters.group is not None else ()))
    series = [charts.Series(group_name(g), tuple(
        next((_rate(f.achieved, f.population, f.registered) for f in rows if f.group == g), None) for rows in per))
        for g in group_codes]
    target = None
    if filters.group is not None:
        target = [next((f.target for f in rows if f.group == filters.group), None) for rows in per]
    labels = [f"{'Quý' if _vi() else 'Q'} {q.number if not _vi() else ('I', 'II', 'III', 'IV')[q.number - 1]}\n{q.year}"
              for q in quarters]
    return charts.trend_chart(
        periods=labels, series=series, title=_("%(unit)s: rate by quarter", unit=unit.name),
        description=_("The rate of each target group at the end of each quarter from %(first)s to %(last)s; the "
                      "table below gives the same figures.", first=quarter_label(quarters[0]),
                      last=quarter_label(quarters[-1])),
        x_label=_("Quarter"), y_label=_("Rate"), as_of=moment, as_of_text=text, period_label=_("Quarter"),
        target=target, target_label=_("Target"), id_prefix="trend", style=_style())


# --- routes ----------------------------------------------------------------------------------------------

def _choices() -> dict[str, Any]:
    programs, courses = _filter_choices()
    latest, quarters = current_quarter(), []
    q = latest
    while q >= FIRST_QUARTER:
        quarters.append(q)
        q = q.previous
    return {"quarters": [(str(q), quarter_label(q)) for q in quarters],
            "groups": [(g.code, g.name(str(get_locale()))) for g in framework().target_groups],
            "programs": programs, "courses": [(c.slug, c.title) for c in courses]}


@bp.get("/units/<code>")
@official_route(OFFICIAL)
def unit(unit: Unit, scope: Scope) -> str:
    """The unit's dashboard: figures per group, child units ranked by rate, the trend; the tree's crumbs."""
    from ..services import officials

    filters = parse_filters(request.args)
    page = officials.unit_page(db.session, scope, unit, now().date())
    board = build(unit, filters)
    return render_template("officials/unit.html", page=page, kinds=KINDS, board=board, choices=_choices(),
                           args=filters.args(), formats=FORMATS)


def _export(unit: Unit, fmt: str) -> Response:
    filters = parse_filters(request.args, extra=("table",))
    name = request.args.get("table", "groups")
    if name not in TABLES:
        raise BadFilter(_("There is no table “%(value)s” on this page.", value=name[:20]))
    board = build(unit, filters)
    table = board.table(name)
    if table is None:
        raise BadFilter(_("This table is not shown for these filters."))
    audit.record(db.session, current_user, "export", unit,
                 f"dashboard {name}.{fmt} " + " ".join(f"{k}={v}" for k, v in sorted(filters.args().items())),
                 now=now(), client=request.remote_addr)
    db.session.commit()
    stem = f"{table.title} {filters.quarter}"
    return table_download(table, fmt, stem, page_text=_("Page {page} of {pages}"))


@bp.get("/units/<code>/export.csv")
@audited
@official_route(OFFICIAL)
def export_csv(unit: Unit, scope: Scope) -> Response:
    return _export(unit, "csv")


@bp.get("/units/<code>/export.xlsx")
@audited
@official_route(OFFICIAL)
def export_xlsx(unit: Unit, scope: Scope) -> Response:
    return _export(unit, "xlsx")


@bp.get("/units/<code>/export.pdf")
@audited
@official_route(OFFICIAL)
def export_pdf(unit: Unit, scope: Scope) -> Response:
    return _export(unit, "pdf")


# --- the commune's follow-up list -------------------------------------------------------------------------

STAGES = {"registered": _l("Registered, not verified"), "verified": _l("Verified, no course yet"),
          "started": _l("Started a course"), "completed": _l("Completed a course")}


def need_text(person: followup.Person) -> str:
    if person.need == followup.VERIFY:
        return _("Verify their identity through VNeID (level 2) on their profile page")
    if person.need == followup.ONE_COURSE:
        return _("Complete one more course: %(course)s", course=person.course or "—")
    if person.need == followup.JOIN:
        return _("Join a course of the programme (nothing for %(days)d days)", days=followup.STALLED_DAYS)
    return _("Continue their course (no progress for %(days)d days)", days=followup.STALLED_DAYS)


def follow_up_table(unit: Unit, people: Iterable[followup.Person], moment: datetime) -> Table:
    """The follow-up list as a table: what the page shows and the CSV holds (rows may be a generator)."""
    rows = ({"name": p.name, "phone": p.phone, "email": p.email, "id": p.id_masked,
             "stage": str(STAGES.get(p.stage, p.stage)), "need": need_text(p)} for p in people)
    return Table(title=_("Follow-up list of %(unit)s", unit=unit.name), as_of=moment,
                 as_of_text=_("As of %(moment)s (Vietnam time).", moment=_moment(moment)),
                 columns=(Column("name", _("Name")), Column("phone", _("Phone")), Column("email", _("E-mail")),
                          Column("id", _("ID number (masked)")), Column("stage", _("Stage")),
                          Column("need", _("What they need next"))),
                 rows=rows, filters=(_("Unit: %(name)s (%(code)s)", name=unit.name, code=unit.code),),
                 notes=(_("Personal data: for the commune's digital technology team only. Stalled: verified, "
                          "not achieved, no activity for %(days)d days.", days=followup.STALLED_DAYS),),
                 style=_style())


def _commune(unit: Unit) -> None:
    if unit.level != 2:
        raise BadFilter(_("The follow-up list is kept per commune. Open a commune's page first."))


def _follow_up_page() -> int:
    if set(request.args) - {"page"}:
        raise BadFilter(_("Unknown parameter “%(name)s”.", name=sorted(set(request.args) - {"page"})[0][:40]))
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 0 < int(raw) <= 100_000:
        raise BadFilter(_("“%(value)s” is not a page number.", value=raw[:20]))
    return int(raw)


@bp.get("/units/<code>/follow-up")
@audited
@official_route(OFFICIAL)
def follow_up(unit: Unit, scope: Scope) -> str:
    """One page (50 people) of the commune's follow-up list; every view is audit-logged."""
    _commune(unit)
    number = _follow_up_page()
    moment = now()
    found = followup.page(db.session, unit, number, now=moment)
    audit.record(db.session, current_user, "view_people", unit, f"follow-up list page {number}", now=moment,
                 client=request.remote_addr)
    db.session.commit()
    return render_template("officials/follow_up.html", unit=unit, found=found,
                           table=follow_up_table(unit, found.people, moment))


@bp.get("/units/<code>/follow-up.csv")
@audited
@official_route(OFFICIAL)
def follow_up_csv(unit: Unit, scope: Scope) -> Response:
    """The whole follow-up list as CSV, streamed (read in batches by keyset while it is sent)."""
    _commune(unit)
    if request.args:
        raise BadFilter(_("Unknown parameter “%(name)s”.", name=sorted(request.args)[0][:40]))
    moment = now()
    audit.record(db.session, current_user, "export", unit, "follow-up list csv", now=moment,
                 client=request.remote_addr)
    db.session.commit()
    table = follow_up_table(unit, followup.every(db.session, unit, now=moment), moment)
    return table_download(table, "csv", f"{table.title} {moment.astimezone(VIETNAM):%Y-%m-%d}")
