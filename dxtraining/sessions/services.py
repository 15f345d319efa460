"""Scheduling rules: what makes a session valid, format switches, next year's copy, and the agenda."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import jpholiday
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.services import changes, record
from ..courses.models import Course, CurriculumModule, SessionFormat
from ..database import utcnow
from ..extensions import db
from ..forms import has_control_characters
from ..i18n.dates import TOKYO, format_date
from ..i18n.locale import current_locale
from ..notifications.services import notify
from ..people.models import Municipality, Person
from ..people.services import municipalities
from .models import (
    AgendaBlock,
    CriterionAssessment,
    FormatChange,
    Instructor,
    InstructorCriterion,
    SessionDay,
    SessionQuota,
    TrainingSession,
)


class ValidationFailed(Exception):
    """Field name → message for each problem; nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class DayPlan:
    starts_at: datetime
    ends_at: datetime


@dataclass
class SessionPlan:
    """Everything the secretariat sets on a session; checked as a whole before anything is written."""

    title: str
    format: SessionFormat
    days: list[DayPlan]
    capacity: int
    quotas: dict[int, int]  # municipality id → seats
    applications_open_at: datetime
    applications_close_at: datetime
    cancellation_deadline: datetime
    release_at: datetime
    venue_name: str = ""
    venue_address: str = ""
    venue_room: str = ""
    access_notes: str = ""
    online_platform: str = ""
    online_url: str = ""
    enrollment_mode: str = "first_come"
    warnings: list[str] = field(default_factory=list)


def valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("https", "http") and bool(parts.netloc) and " " not in url and not has_control_characters(url)
    )


def check_plan(plan: SessionPlan) -> list[str]:
    """Raise ValidationFailed listing every problem; return warnings (weekends, public holidays)."""
    errors: dict[str, str] = {}
    if not plan.days:
        errors["days"] = _("開催日を1日以上入力してください。")
    for index, day in enumerate(plan.days):
        if day.ends_at <= day.starts_at:
            errors[f"days-{index}-ends_at"] = _("終了時刻は開始時刻より後にしてください。")
    ordered = sorted(plan.days, key=lambda d: d.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.starts_at < earlier.ends_at:
            errors["days"] = _("開催日の時間が重なっています。")
        elif later.starts_at.astimezone(TOKYO).date() == earlier.starts_at.astimezone(TOKYO).date():
            errors["days"] = _("同じ日付が2回入力されています。1日の中の休憩は時間割で設定してください。")
    if plan.capacity < 1:
        errors["capacity"] = _("定員は1以上にしてください。")
    if any(seats < 0 for seats in plan.quotas.values()):
        errors["quotas"] = _("各市町の枠は0以上にしてください。")
    elif sum(plan.quotas.values()) > plan.capacity and "capacity" not in errors:
        errors["capacity"] = _(
            "各市町の枠の合計（%(sum)d人）が定員（%(cap)d人）を超えています。",
            sum=sum(plan.quotas.values()),
            cap=plan.capacity,
        )
    if plan.applications_close_at <= plan.applications_open_at:
        errors["applications_close_at"] = _("申込締切は申込開始より後にしてください。")
    elif plan.cancellation_deadline < plan.applications_close_at:
        errors["cancellation_deadline"] = _(
            "キャンセル期限は申込締切と同じか、それより後にしてください（締切間際に申し込んだ方も取り消せるように）。"
        )
    if ordered:
        first_start = ordered[0].starts_at
        if plan.applications_close_at > first_start:
            errors["applications_close_at"] = _("申込締切は開催日より前にしてください。")
        if plan.cancellation_deadline > first_start:
            errors["cancellation_deadline"] = _("キャンセル期限は開催日より前にしてください。")
        if plan.release_at > first_start:
            errors["release_at"] = _("枠の開放日は開催日より前にしてください。")
    needs_url = plan.format in (SessionFormat.online, SessionFormat.hybrid)
    if (needs_url or plan.online_url) and not valid_url(plan.online_url):  # kept for a later switch online
        errors["online_url"] = _("オンライン会議のURLを https:// から始まる形で入力してください。")
    if plan.format in (SessionFormat.in_person, SessionFormat.hybrid) and not plan.venue_name:
        errors["venue_name"] = _("集合形式では会場名を入力してください。")
    if errors:
        raise ValidationFailed(errors)
    past = (
        [_("開催日が過去の日付です。記録のための登録でなければ、日付を確認してください。")]
        if ordered and ordered[0].starts_at < utcnow()
        else []
    )
    return past + day_warnings([d.starts_at for d in ordered])


def day_warnings(starts: list[datetime]) -> list[str]:
    """Warnings, not refusals: days on a weekend or a Japanese public holiday."""
    warnings = []
    for start in starts:
        day: date = start.astimezone(TOKYO).date()
        holiday = jpholiday.is_holiday_name(day)
        if holiday:
            warnings.append(_("%(day)sは祝日（%(name)s）です。", day=format_date(day, current_locale()), name=holiday))
        elif day.weekday() >= 5:
            warnings.append(_("%(day)sは週末です。", day=format_date(day, current_locale())))
    return warnings


# Fields a plan sets and a next-year copy carries over as they are, and the dates it shifts.
_PLACE_AND_SEATS = (
    "format",
    "venue_name",
    "venue_address",
    "venue_room",
    "access_notes",
    "online_platform",
    "online_url",
    "capacity",
    "enrollment_mode",
)
# A session's moments besides its days (the edit form shows them to the minute).
DEADLINES = ("applications_open_at", "applications_close_at", "cancellation_deadline", "release_at")
_SCHEDULE_FIELDS = ("format", "venue_name", "venue_address", "venue_room", "online_platform", "online_url")


def cancelled_problem(session: TrainingSession) -> str | None:
    """Why the session's plan can no longer change (it was cancelled: nobody is told of changes to it); None
    when it can."""
    if session.is_cancelled:
        return _("この開催回は中止されています。日程・時間割や開催形式は変更できません。")
    return None


def save_session(course: Course, plan: SessionPlan, session: TrainingSession | None = None) -> TrainingSession:
    """Create or update a session from a checked plan. A change of date, time, place or format raises the
    revision, so calendars update the entry in place. The caller commits."""
    if session is not None and (problem := cancelled_problem(session)):
        raise ValidationFailed({"title": problem})
    plan.warnings = check_plan(plan)
    creating = session is None
    if not creating:
        _keep_confirmed_seats(session, plan.capacity)
    if session is None:
        session = TrainingSession(course_id=course.id, revision=0)
        db.session.add(session)
    before_schedule = None if creating else _schedule_snapshot(session)
    before_days = [] if creating else _day_spans(session.days)
    before, after = changes(session, {name: getattr(plan, name) for name in ("title", *_PLACE_AND_SEATS, *DEADLINES)})
    session.days = (
        [SessionDay(starts_at=d.starts_at, ends_at=d.ends_at) for d in plan.days]
        if creating
        else (_update_days(session, plan.days))
    )
    if not creating and _day_spans(session.days) != before_days:
        before["days"], after["days"] = before_days, _day_spans(session.days)
    existing = {q.municipality_id: q for q in session.quotas}
    for municipality_id, seats in plan.quotas.items():
        if municipality_id in existing:
            existing[municipality_id].seats = seats
        else:
            session.quotas.append(SessionQuota(municipality_id=municipality_id, seats=seats))
    db.session.flush()
    if not creating and _schedule_snapshot(session) != before_schedule:
        session.revision += 1
        tell_everyone(session, "session_changed")
    if creating:
        record("session.created", session, after={"title": session.title})
    elif after:
        record("session.updated", session, before=before, after=after)
    return session


def _day_spans(days: list[SessionDay]) -> list[str]:
    """The days as "start/end" in ISO form and UTC (the same moment, whether read or just typed in Japan time),
    as the audit log keeps them."""
    return [f"{d.starts_at.astimezone(UTC).isoformat()}/{d.ends_at.astimezone(UTC).isoformat()}" for d in days]


def _keep_confirmed_seats(session: TrainingSession, capacity: int) -> None:
    """Capacity may not fall below the people already confirmed (the caller holds the session's seat lock)."""
    from ..enrollment.services import capacity_problem, seat_state

    problem = capacity_problem(capacity, seat_state(session))
    if problem:
        raise ValidationFailed({"capacity": problem})


def _update_days(session: TrainingSession, days: list[DayPlan]) -> list[SessionDay]:
    """Keep existing day rows (and their agenda) where possible, matched by order; a moved day takes its
    agenda blocks along by the same amount."""
    kept = list(session.days)
    result = []
    for index, plan in enumerate(sorted(days, key=lambda d: d.starts_at)):
        day = kept[index] if index < len(kept) else SessionDay()
        if day.starts_at is not None and day.starts_at != plan.starts_at:
            shift = plan.starts_at - day.starts_at
            for block in day.blocks:
                block.starts_at, block.ends_at = block.starts_at + shift, block.ends_at + shift
        day.starts_at, day.ends_at = plan.starts_at, plan.ends_at
        result.append(day)
    return result


def _schedule_snapshot(session: TrainingSession) -> tuple:
    return (
        tuple(getattr(session, f) for f in _SCHEDULE_FIELDS),
        tuple((d.starts_at, d.ends_at) for d in session.days),
    )


def affected_enrollments(session: TrainingSession):
    """The applications still standing for a session (confirmed, waiting, pending approval), with their people:
    they are told of every change."""
    from sqlalchemy.orm import joinedload

    from ..enrollment.models import ACTIVE, Enrollment

    return list(
        db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.session_id == session.id,
                Enrollment.status.in_(ACTIVE),
            )
            .options(joinedload(Enrollment.person))
            .order_by(Enrollment.person_id)
        )
    )


def tell_everyone(session: TrainingSession, kind: str, **context) -> int:
    """Queue one message of `kind` to each person whose application for the session still stands."""
    enrollments = affected_enrollments(session)
    for enrollment in enrollments:
        notify(enrollment.person, kind, {"session": session, "enrollment": enrollment, **context})
    return len(enrollments)


def switch_format(
    session: TrainingSession,
    new_format: SessionFormat,
    reason: str,
    actor: Person | None,
    online_url: str = "",
    online_platform: str = "",
) -> FormatChange:
    """Switch between in person, online and hybrid. Records the reason, raises the revision and tells
    everyone confirmed or waiting. The caller commits."""
    if problem := cancelled_problem(session):
        raise ValidationFailed({"format": problem})
    errors = {}
    if not reason.strip():
        errors["reason"] = _("切り替えの理由を入力してください。")
    if new_format == session.format:
        errors["format"] = _("現在と同じ形式です。")
    url = online_url or session.online_url
    if new_format in (SessionFormat.online, SessionFormat.hybrid) and not valid_url(url):
        errors["online_url"] = _("オンライン会議のURLを https:// から始まる形で入力してください。")
    if new_format in (SessionFormat.in_person, SessionFormat.hybrid) and not session.venue_name:
        errors["format"] = _("会場が未設定のため集合形式にできません。先に会場を登録してください。")
    if errors:
        raise ValidationFailed(errors)
    change = FormatChange(
        session_id=session.id,
        from_format=session.format,
        to_format=new_format,
        reason=reason.strip(),
        actor_id=actor.id if actor else None,
        at=utcnow(),
    )
    db.session.add(change)
    session.format = new_format
    session.online_url = url
    if online_platform:
        session.online_platform = online_platform
    session.revision += 1
    record(
        "session.format_switched",
        session,
        before={"format": change.from_format},
        after={"format": new_format},
        reason=change.reason,
    )
    tell_everyone(session, "session_format_changed", change=change)
    return change


def next_year_title(title: str) -> str:
    """The title suggested for next year's copy: 令和8年度 第2回 → 令和9年度 第2回; any other title gets （次年度）."""
    renamed, found = re.subn(r"令和(\d+)年度", lambda m: f"令和{int(m.group(1)) + 1}年度", title, count=1)
    return renamed if found else _("%(title)s（次年度）", title=title)


def copy_for_next_year(session: TrainingSession, title: str) -> TrainingSession:
    """A new session 52 weeks later (same weekday), with days, quotas and agenda; no applicants.
    The caller commits."""
    shift = timedelta(weeks=52)
    copy = TrainingSession(
        course_id=session.course_id,
        title=title,
        revision=0,
        **{name: getattr(session, name) for name in _PLACE_AND_SEATS},
        **{name: getattr(session, name) + shift for name in DEADLINES},
    )
    for day in session.days:
        new_day = SessionDay(starts_at=day.starts_at + shift, ends_at=day.ends_at + shift)
        for block in day.blocks:
            new_day.blocks.append(
                AgendaBlock(
                    starts_at=block.starts_at + shift,
                    ends_at=block.ends_at + shift,
                    title=block.title,
                    instructor_id=block.instructor_id,
                    unqualified_reason=block.unqualified_reason,
                    modules=list(block.modules),
                )
            )
        copy.days.append(new_day)
    copy.quotas = [SessionQuota(municipality_id=q.municipality_id, seats=q.seats) for q in session.quotas]
    db.session.add(copy)
    db.session.flush()
    record("session.copied", copy, before={"from_session": session.id}, after={"title": title})
    return copy


def cancel_problem(session: TrainingSession, now: datetime | None = None) -> str | None:
    """Why the session can no longer be cancelled (it is already, or it has begun: attendance is being
    recorded); None when it can."""
    if session.is_cancelled:
        return _("この開催回はすでに中止されています。")
    if session.days and (now or utcnow()) >= session.starts_at:
        return _("開始した開催回は中止できません。")
    return None


def cancel_session(session: TrainingSession, reason: str) -> None:
    """Cancel a session; everyone confirmed or waiting is told. The caller commits."""
    if problem := cancel_problem(session):
        raise ValidationFailed({"reason": problem})
    if not reason.strip():
        raise ValidationFailed({"reason": _("中止の理由を入力してください。")})
    session.cancelled_at = utcnow()
    session.cancel_reason = reason.strip()
    session.revision += 1
    record("session.cancelled", session, reason=session.cancel_reason)
    tell_everyone(session, "session_cancelled")


# Instructors ---------------------------------------------------------------------------------


def criteria_of(course: Course) -> list[InstructorCriterion]:
    return list(
        db.session.scalars(
            select(InstructorCriterion)
            .where(InstructorCriterion.course_id == course.id)
            .order_by(InstructorCriterion.position)
        )
    )


def unmet_criteria(instructor: Instructor, course: Course) -> list[InstructorCriterion]:
    """The course's criteria this instructor has not been found to meet."""
    met = {a.criterion_id for a in instructor.assessments if a.met}
    return [c for c in criteria_of(course) if c.id not in met]


def assess(instructor: Instructor, criterion: InstructorCriterion, met: bool, evidence: str, reviewer: Person):
    """Record a reviewer's decision on one criterion (replacing an earlier one). The caller commits."""
    assessment = next((a for a in instructor.assessments if a.criterion_id == criterion.id), None)
    before = {"met": assessment.met, "evidence": assessment.evidence} if assessment else {}
    if assessment is None:
        assessment = CriterionAssessment(criterion_id=criterion.id)
        instructor.assessments.append(assessment)
    assessment.met, assessment.evidence = met, evidence
    assessment.reviewer_id, assessment.reviewed_at = reviewer.id, utcnow()
    record(
        "instructor.assessed",
        instructor,
        before=before,
        after={"criterion": criterion.code, "met": met, "evidence": evidence},
    )


@dataclass
class BlockPlan:
    day: SessionDay
    starts_at: datetime
    ends_at: datetime
    title: str
    modules: list[CurriculumModule]
    instructor: Instructor | None = None
    unqualified_reason: str = ""


def add_block(plan: BlockPlan, course: Course) -> AgendaBlock:
    """Add a timed block to a day: inside the day's hours, overlapping no other block, and taught by an
    instructor who meets every criterion unless a written reason is given. The caller commits."""
    if problem := cancelled_problem(plan.day.session):
        raise ValidationFailed({"title": problem})
    errors: dict[str, str] = {}
    day = plan.day
    if plan.ends_at <= plan.starts_at:
        errors["ends_at"] = _("終了時刻は開始時刻より後にしてください。")
    elif plan.starts_at < day.starts_at or plan.ends_at > day.ends_at:
        errors["starts_at"] = _(
            "時間割は開催時間（%(s)s～%(e)s）の中に収めてください。",
            s=day.starts_at.astimezone(TOKYO).strftime("%H:%M"),
            e=day.ends_at.astimezone(TOKYO).strftime("%H:%M"),
        )
    else:
        for other in day.blocks:
            if plan.starts_at < other.ends_at and other.starts_at < plan.ends_at:
                errors["starts_at"] = _("「%(title)s」と時間が重なっています。", title=other.title)
                break
    if any(m.course_id != course.id for m in plan.modules):
        errors["modules"] = _("この研修のカリキュラムではない項目が含まれています。")
    reason = plan.unqualified_reason.strip()
    unmet = unmet_criteria(plan.instructor, course) if plan.instructor else []
    if unmet and not reason:
        errors["instructor_id"] = _(
            "この講師は選定基準（%(list)s）を満たすことが確認されていません。割り当てる場合は理由を入力してください。",
            list=_("、").join(c.title for c in unmet),
        )
    if errors:
        raise ValidationFailed(errors)
    block = AgendaBlock(
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        title=plan.title,
        instructor=plan.instructor,
        unqualified_reason=reason if unmet else "",
        modules=plan.modules,
    )
    day.blocks.append(block)
    day.session.updated_at = utcnow()  # feeds show the agenda: their Last-Modified moves with it
    db.session.flush()
    record(
        "agenda.block_added",
        block,
        after={
            "title": plan.title,
            "instructor": plan.instructor.name if plan.instructor else None,
            "unmet_criteria": [c.code for c in unmet],
        },
        reason=reason if unmet else "",
    )
    return block


def uncovered_modules(course: Course) -> set[int]:
    """Ids of the course's modules no session's agenda covers yet. A module is covered when an agenda block
    names it or an item above it, or when it has items under it and every one of them is covered."""
    from .models import agenda_block_module

    covered = set(
        db.session.scalars(
            select(agenda_block_module.c.module_id)
            .join(AgendaBlock, AgendaBlock.id == agenda_block_module.c.block_id)
            .join(SessionDay, SessionDay.id == AgendaBlock.day_id)
            .join(TrainingSession, TrainingSession.id == SessionDay.session_id)
            .where(TrainingSession.course_id == course.id, TrainingSession.cancelled_at.is_(None))
        )
    )
    parents = dict(
        db.session.execute(
            select(CurriculumModule.id, CurriculumModule.parent_id).where(CurriculumModule.course_id == course.id)
        ).all()
    )
    children: dict[int, list[int]] = {}
    for module_id, parent_id in parents.items():
        if parent_id is not None:
            children.setdefault(parent_id, []).append(module_id)

    def from_above(module_id: int | None) -> bool:
        while module_id is not None:
            if module_id in covered:
                return True
            module_id = parents.get(module_id)
        return False

    def is_covered(module_id: int) -> bool:
        below = children.get(module_id, [])
        return from_above(module_id) or (bool(below) and all(is_covered(child) for child in below))

    return {module_id for module_id in parents if not is_covered(module_id)}


def load_session(session_id: int) -> TrainingSession | None:
    """A session with its days, blocks, instructors, modules and quotas, in a fixed number of queries."""
    return db.session.scalar(
        select(TrainingSession)
        .where(TrainingSession.id == session_id)
        .options(
            selectinload(TrainingSession.days).selectinload(SessionDay.blocks).selectinload(AgendaBlock.modules),
            selectinload(TrainingSession.days).selectinload(SessionDay.blocks).selectinload(AgendaBlock.instructor),
            selectinload(TrainingSession.quotas).selectinload(SessionQuota.municipality),
            selectinload(TrainingSession.format_changes),
        )
    )


def default_quotas(course: Course) -> dict[int, int]:
    """Every municipality gets the course's default seats (各市町5人程度)."""
    return {m_id: course.default_quota for m_id in db.session.scalars(select(Municipality.id))}


def upcoming_sessions() -> list[TrainingSession]:
    """Sessions not cancelled whose last day has not ended, soonest first."""
    now = utcnow()
    sessions = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.cancelled_at.is_(None))
        .options(selectinload(TrainingSession.days), selectinload(TrainingSession.course))
    ).all()
    return sorted((s for s in sessions if s.days and s.ends_at > now), key=lambda s: s.starts_at)


@dataclass
class SeatCount:
    municipality: Municipality
    quota: int
    confirmed: int
    waiting: int

    @property
    def left(self) -> int:
        return max(self.quota - self.confirmed, 0)


def seats_by_municipality(session: TrainingSession, state=None) -> list[SeatCount]:
    """For each municipality: its quota, how many of its staff are confirmed or waiting. From the seat state
    the decisions use (`state`, or read now): one count, one rule."""
    from ..enrollment.services import seat_state

    state = state or seat_state(session)
    return [
        SeatCount(m, state.quotas.get(m.id, 0), state.confirmed[m.id], state.waiting[m.id]) for m in municipalities()
    ]
