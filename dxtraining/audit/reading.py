"""Reading the audit log: a page of entries, narrowed by municipality or action, with the names of what they
are about (a fixed number of queries, whatever the page holds)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import AuditEntry

PAGE_SIZE = 50


@dataclass
class LogPage:
    entries: list[AuditEntry]
    total: int
    page: int

    @property
    def has_next(self) -> bool:
        return self.page * PAGE_SIZE < self.total


def log_page(page: int, municipality_id: int | None = None, action: str | None = None) -> LogPage:
    """Newest first; `page` counts from 1."""
    where = []
    if municipality_id is not None:
        where.append(AuditEntry.municipality_id == municipality_id)
    if action:
        where.append(AuditEntry.action == action)
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*where))
    entries = db.session.scalars(
        select(AuditEntry)
        .where(*where)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return LogPage(list(entries), total, page)


def subject_names(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """(subject type, id) → who or what it is: a person's name, a session's title, an application's applicant
    and session. Rows deleted since have no name."""
    from ..enrollment.models import Enrollment
    from ..people.models import Person
    from ..sessions.models import TrainingSession

    wanted: dict[str, set[int]] = {}
    for e in entries:
        if e.subject_id is not None:
            wanted.setdefault(e.subject_type, set()).add(e.subject_id)
    names: dict[tuple[str, int], str] = {}
    if wanted.get("person"):
        for person_id, name in db.session.execute(
            select(Person.id, Person.name).where(Person.id.in_(wanted["person"]))
        ):
            names[("person", person_id)] = name
    if wanted.get("training_session"):
        for session_id, title in db.session.execute(
            select(TrainingSession.id, TrainingSession.title).where(TrainingSession.id.in_(wanted["training_session"]))
        ):
            names[("training_session", session_id)] = title
    if wanted.get("enrollment"):
        rows = db.session.execute(
            select(Enrollment.id, Person.name, TrainingSession.title)
            .join(Person, Person.id == Enrollment.person_id)
            .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
            .where(Enrollment.id.in_(wanted["enrollment"]))
        )
        for enrollment_id, name, title in rows:
            names[("enrollment", enrollment_id)] = f"{name} / {title}"
    return names
