"""An employee's application for a session and what became of it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import AwareDateTime, utcnow
from ..extensions import db
from ..people.models import Person
from ..sessions.models import TrainingSession


class EnrollmentStatus(enum.StrEnum):
    pending = "pending"  # waiting for the coordinator's approval
    confirmed = "confirmed"  # holds a seat
    waiting = "waiting"  # on the waiting list (キャンセル待ち)
    declined = "declined"  # refused by the coordinator
    cancelled = "cancelled"  # withdrawn by the person, their coordinator or the secretariat


class Attendance(enum.StrEnum):
    attended = "attended"
    absent = "absent"


# Statuses of an application that still holds or waits for a seat.
ACTIVE = (EnrollmentStatus.pending, EnrollmentStatus.confirmed, EnrollmentStatus.waiting)


class Enrollment(db.Model):
    """One person's application for one session (申込). One per person and session, enforced by the database."""

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("session_id", "person_id"),
        Index("ix_enrollment_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session applied for
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    #: the applicant
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: the applicant's municipality when applying: whose quota the seat counts against
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    #: pending, confirmed, waiting, declined or cancelled
    status: Mapped[EnrollmentStatus] = mapped_column(Enum(EnrollmentStatus, native_enum=False, length=12))
    #: the applicant's note to their coordinator and the secretariat (reason, accessibility needs)
    note: Mapped[str] = mapped_column(Text, default="")
    #: the coordinator's comment on approval or refusal
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    #: order on the waiting list: lower goes first; the coordinator can change it with a reason
    queue_rank: Mapped[int] = mapped_column(Integer, default=0)
    #: when the application was made; ties on the waiting list go by this
    applied_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    #: when the status last changed
    status_changed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    #: one more with every change the person's calendar entry shows (status, place in line): added to the
    #: session's revision for the entry's SEQUENCE, which must only grow (withdrawing, then applying again)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    #: cancelled after the cancellation deadline (only a coordinator or the secretariat can)
    late_cancellation: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the reminder the day before was queued (or skipped because the person opted out)
    reminder_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: attended or absent, marked on the day; empty before
    attendance: Mapped[Attendance | None] = mapped_column(Enum(Attendance, native_enum=False, length=10))

    session: Mapped[TrainingSession] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def is_active(self) -> bool:
        """Pending, confirmed or waiting: still an application (not declined or cancelled)."""
        return self.status in ACTIVE
