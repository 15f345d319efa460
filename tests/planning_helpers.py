"""Builders for courses and sessions used by several test modules."""

from __future__ import annotations

from datetime import datetime, timedelta

from dxtraining.courses.models import SessionFormat
from dxtraining.courses.seed import load_course
from dxtraining.database import utcnow
from dxtraining.i18n.dates import TOKYO
from dxtraining.sessions.services import DayPlan, SessionPlan, default_quotas, save_session


def jst(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def plan_for(course, days=None, **overrides) -> SessionPlan:
    """A valid plan: a session about a month from now, applications open since yesterday."""
    now = utcnow()
    start = (now + timedelta(days=30)).astimezone(TOKYO).replace(hour=13, minute=30, second=0, microsecond=0)
    days = days or [DayPlan(start, start + timedelta(hours=3))]
    values = dict(
        title="第1回",
        format=SessionFormat.in_person,
        days=days,
        capacity=30,
        quotas=default_quotas(course),
        applications_open_at=now - timedelta(days=1),
        applications_close_at=days[0].starts_at - timedelta(days=7),
        cancellation_deadline=days[0].starts_at - timedelta(days=3),
        release_at=days[0].starts_at - timedelta(days=10),
        venue_name="越谷市役所 本庁舎",
        venue_address="埼玉県越谷市越ヶ谷四丁目2番1号",
        venue_room="第1会議室",
    )
    values.update(overrides)
    return SessionPlan(**values)


def plan_on(course, year: int, month: int, day: int) -> SessionPlan:
    """A valid plan for an afternoon on that day (Japan time), applications open from six weeks before."""
    start = jst(year, month, day, 13, 30)
    return plan_for(
        course,
        days=[DayPlan(start, start + timedelta(hours=3))],
        applications_open_at=start - timedelta(days=42),
        applications_close_at=start - timedelta(days=14),
        cancellation_deadline=start - timedelta(days=9),
        release_at=start - timedelta(days=14),
    )


def make_session(course=None, **overrides):
    from dxtraining.extensions import db

    course = course or load_course()
    session = save_session(course, plan_for(course, **overrides))
    db.session.commit()
    return session


def session_form(municipalities, **overrides) -> dict:
    day = (utcnow() + timedelta(days=40)).astimezone(TOKYO).date()
    local = lambda d, t: f"{(day - timedelta(days=d)).isoformat()}T{t}"  # noqa: E731
    form = {
        "title": "第2回",
        "format": "in_person",
        "enrollment_mode": "first_come",
        "days-0-date": day.isoformat(),
        "days-0-start": "13:30",
        "days-0-end": "16:30",
        "applications_open_at": local(30, "09:00"),
        "applications_close_at": local(10, "17:00"),
        "cancellation_deadline": local(5, "17:00"),
        "release_at": local(12, "09:00"),
        "venue_name": "八潮市役所",
        "capacity": "30",
    }
    form.update({f"quota_{m.id}": "5" for m in municipalities.values()})
    form.update(overrides)
    return form
