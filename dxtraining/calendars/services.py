"""What goes into each calendar file, loaded in a fixed number of queries."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..database import utcnow
from ..enrollment.models import Enrollment, EnrollmentStatus
from ..enrollment.services import waiting_positions
from ..extensions import db
from ..people.models import Person
from ..sessions.models import AgendaBlock, SessionDay, TrainingSession
from .ics import Viewer, calendar, last_change, session_events

SHOWN = (EnrollmentStatus.pending, EnrollmentStatus.confirmed, EnrollmentStatus.waiting)


def _with_agenda():
    return (
        selectinload(TrainingSession.days).selectinload(SessionDay.blocks).selectinload(AgendaBlock.instructor),
        selectinload(TrainingSession.course),
    )


def _latest(modified, session_ids: set[int]):
    """Last-Modified that also moves when other people's applications change (waiting positions, counts)."""
    if not session_ids:
        return modified
    others = db.session.scalar(
        select(func.max(Enrollment.status_changed_at)).where(Enrollment.session_id.in_(session_ids))
    )
    return max(modified, others.replace(microsecond=0)) if others else modified


# What secrets.token_urlsafe makes: anything else in a feed URL finds nobody, without asking the database.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def person_by_token(token: str) -> Person | None:
    if not TOKEN.fullmatch(token or ""):
        return None
    return db.session.scalar(select(Person).where(Person.calendar_token == token))


def ensure_token(person: Person) -> str:
    """The person's feed token, created on first use (caller commits)."""
    if person.calendar_token is None:
        person.calendar_token = secrets.token_urlsafe(32)
    return person.calendar_token


def reset_token(person: Person) -> str:
    """Revoke the old feed URL and issue a new one (caller commits)."""
    person.calendar_token = secrets.token_urlsafe(32)
    return person.calendar_token


def personal_feed(person: Person) -> tuple[bytes, object]:
    """Every session the person applied for; withdrawn ones stay as CANCELLED until the session is over."""
    now = utcnow()
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.person_id == person.id)
        .options(selectinload(Enrollment.session).options(*_with_agenda()))
    ).all()
    shown = [e for e in enrollments if e.session.days and (e.status in SHOWN or e.session.ends_at > now)]
    positions = waiting_positions(shown)
    events = []
    for e in shown:
        viewer = Viewer(locale=person.locale, enrollment=e, waiting_position=positions.get(e.id))
        events += session_events(e.session, viewer)
    name = "DX研修（受講予定）" if person.locale == "ja" else "DX training (my sessions)"
    return calendar(name, f"person-{person.id}", events), _latest(
        last_change([e.session for e in shown], shown), {e.session_id for e in shown}
    )


def session_file(session: TrainingSession, locale: str, enrollment: Enrollment | None) -> tuple[bytes, object]:
    """One session's file as its reader may see it: with their application, its status (and, once confirmed,
    the meeting URL); without one, the public details."""
    viewer = Viewer(
        locale=locale,
        enrollment=enrollment,
        waiting_position=waiting_positions([enrollment]).get(enrollment.id) if enrollment else None,
    )
    events = session_events(session, viewer)
    return calendar(session.title, f"session-{session.id}", events), last_change(
        [session], [enrollment] if enrollment else []
    )


def public_feed(sessions: list[TrainingSession], locale: str, name: str, key: str) -> tuple[bytes, object]:
    """Public details only: no meeting URL, no personal status."""
    events = []
    for session in sessions:
        events += session_events(session, Viewer(locale=locale))
    return calendar(name, key, events), last_change(sessions)


def sessions_with_agenda(*where) -> list[TrainingSession]:
    return list(
        db.session.scalars(select(TrainingSession).where(*where).options(*_with_agenda()).order_by(TrainingSession.id))
    )


def municipality_feed(person: Person) -> tuple[bytes, object]:
    """A coordinator's feed: every session, with how many of their municipality's staff are confirmed."""
    sessions = sessions_with_agenda()
    counts = dict(
        db.session.execute(
            select(Enrollment.session_id, func.count(Enrollment.id))
            .where(
                Enrollment.municipality_id == person.municipality_id, Enrollment.status == EnrollmentStatus.confirmed
            )
            .group_by(Enrollment.session_id)
        ).all()
    )
    events = []
    for session in sessions:
        events += session_events(session, Viewer(locale=person.locale, staff_confirmed=counts.get(session.id, 0)))
    name = f"DX研修（{person.municipality.name}）"
    return calendar(name, f"municipality-{person.municipality.code}", events), _latest(
        last_change(sessions), {s.id for s in sessions}
    )
