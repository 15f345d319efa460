"""A session (開催回) with its days, quotas, agenda blocks, format changes, and the instructor registry."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Enum, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..courses.models import Course, CurriculumModule, SessionFormat
from ..database import AwareDateTime, utcnow
from ..extensions import db
from ..people.models import Municipality, Person


class EnrollmentMode(enum.StrEnum):
    """First come within the quota, or pending until the coordinator approves."""

    first_come = "first_come"
    approval = "approval"


class TrainingSession(db.Model):
    """One dated run of a course (開催回)."""

    __tablename__ = "training_session"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course this session runs
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    #: short name, e.g. 令和5年度 第1回
    title: Mapped[str] = mapped_column(String(120))
    #: in person, online or hybrid
    format: Mapped[SessionFormat] = mapped_column(Enum(SessionFormat, native_enum=False, length=12))
    #: venue name for in person, e.g. 越谷市役所 本庁舎
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    #: venue address
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    #: room, e.g. 第1会議室
    venue_room: Mapped[str] = mapped_column(String(120), default="")
    #: how to get there, parking, accessibility
    access_notes: Mapped[str] = mapped_column(Text, default="")
    #: online platform, e.g. Zoom, Microsoft Teams
    online_platform: Mapped[str] = mapped_column(String(80), default="")
    #: meeting URL; shown only to confirmed participants
    online_url: Mapped[str] = mapped_column(String(500), default="")
    #: total seats (定員)
    capacity: Mapped[int] = mapped_column(Integer)
    #: first come within the quota, or approval by the coordinator
    enrollment_mode: Mapped[EnrollmentMode] = mapped_column(
        Enum(EnrollmentMode, native_enum=False, length=12), default=EnrollmentMode.first_come
    )
    #: when applications open
    applications_open_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: when applications close (before the first day)
    applications_close_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: after this, only a coordinator or the secretariat can cancel, recorded as late
    cancellation_deadline: Mapped[datetime] = mapped_column(AwareDateTime())
    #: after this, unused quota seats are open to anyone waiting, from any municipality
    release_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: increases whenever date, time, place or format changes (the calendar's SEQUENCE)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    #: when the session was cancelled; empty while it goes ahead
    cancelled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: why it was cancelled
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    #: when the session was created
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    #: last change of any field
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    days: Mapped[list[SessionDay]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionDay.starts_at"
    )
    quotas: Mapped[list[SessionQuota]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionQuota.municipality_id"
    )
    format_changes: Mapped[list[FormatChange]] = relationship(cascade="all, delete-orphan", order_by="FormatChange.at")

    @property
    def starts_at(self) -> datetime:
        return self.days[0].starts_at

    @property
    def ends_at(self) -> datetime:
        return self.days[-1].ends_at

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def window(self, now: datetime) -> str:
        """Where the application window stands: "before", "open" or "closed"."""
        if now < self.applications_open_at:
            return "before"
        return "open" if now < self.applications_close_at else "closed"

    @property
    def has_venue(self) -> bool:
        return self.format in (SessionFormat.in_person, SessionFormat.hybrid)

    @property
    def is_online(self) -> bool:
        return self.format in (SessionFormat.online, SessionFormat.hybrid)

    def quota_for(self, municipality_id: int) -> int:
        return next((q.seats for q in self.quotas if q.municipality_id == municipality_id), 0)


class SessionDay(db.Model):
    """One dated day of a session, with its hours in Japan time (stored as UTC)."""

    __tablename__ = "session_day"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    #: start of the day's programme
    starts_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: end of the day's programme
    ends_at: Mapped[datetime] = mapped_column(AwareDateTime())

    session: Mapped[TrainingSession] = relationship(back_populates="days")
    blocks: Mapped[list[AgendaBlock]] = relationship(
        back_populates="day", cascade="all, delete-orphan", order_by="AgendaBlock.starts_at"
    )


class SessionQuota(db.Model):
    """Seats of a session reserved for one municipality (枠)."""

    __tablename__ = "session_quota"
    __table_args__ = (
        UniqueConstraint("session_id", "municipality_id"),
        CheckConstraint("seats >= 0", name="seats"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    #: the municipality the seats are reserved for
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    #: number of reserved seats
    seats: Mapped[int] = mapped_column(Integer)

    session: Mapped[TrainingSession] = relationship(back_populates="quotas")
    municipality: Mapped[Municipality] = relationship()


agenda_block_module = Table(
    "agenda_block_module",
    db.metadata,
    Column("block_id", ForeignKey("agenda_block.id", ondelete="CASCADE"), primary_key=True),
    Column("module_id", ForeignKey("curriculum_module.id", ondelete="CASCADE"), primary_key=True),
)


class AgendaBlock(db.Model):
    """A timed block of a session day (時間割), covering curriculum modules, with an instructor."""

    __tablename__ = "agenda_block"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the day
    day_id: Mapped[int] = mapped_column(ForeignKey("session_day.id", ondelete="CASCADE"), index=True)
    #: start time
    starts_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: end time
    ends_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: title shown in the agenda, e.g. 講義「DXの基礎知識」
    title: Mapped[str] = mapped_column(String(200))
    #: who teaches the block; empty for breaks and group work without a lecturer
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("instructor.id"))
    #: why an instructor who does not meet every criterion was assigned anyway
    unqualified_reason: Mapped[str] = mapped_column(Text, default="")

    day: Mapped[SessionDay] = relationship(back_populates="blocks")
    instructor: Mapped[Instructor | None] = relationship()
    modules: Mapped[list[CurriculumModule]] = relationship(secondary=agenda_block_module)


class FormatChange(db.Model):
    """A switch between in person, online and hybrid, with its reason (the report's online fallback)."""

    __tablename__ = "format_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    #: when the switch was made
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    #: who made it
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: format before
    from_format: Mapped[SessionFormat] = mapped_column(Enum(SessionFormat, native_enum=False, length=12))
    #: format after
    to_format: Mapped[SessionFormat] = mapped_column(Enum(SessionFormat, native_enum=False, length=12))
    #: why, e.g. 新型コロナウイルスの感染状況を考慮
    reason: Mapped[str] = mapped_column(Text)

    actor: Mapped[Person | None] = relationship()


class Instructor(db.Model):
    """A lecturer in the registry (講師)."""

    __tablename__ = "instructor"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: full name
    name: Mapped[str] = mapped_column(String(80))
    #: reading
    name_kana: Mapped[str] = mapped_column(String(120), default="")
    #: organisation and position, e.g. 元横須賀市副市長
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    #: public profile shown on the session page
    profile: Mapped[str] = mapped_column(Text, default="")
    #: phone and email; visible to the secretariat only
    contact: Mapped[str] = mapped_column(Text, default="")
    #: when added
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    assessments: Mapped[list[CriterionAssessment]] = relationship(
        back_populates="instructor", cascade="all, delete-orphan"
    )


class InstructorCriterion(db.Model):
    """A checkable selection criterion of a course (講師選定基準), editable per course."""

    __tablename__ = "instructor_criterion"
    __table_args__ = (UniqueConstraint("course_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    #: stable identifier, e.g. dx_knowledge
    code: Mapped[str] = mapped_column(String(40))
    #: the criterion, e.g. DXに関する知識を有する
    title: Mapped[str] = mapped_column(String(200))
    #: what counts as meeting it
    description: Mapped[str] = mapped_column(Text, default="")
    #: order of display
    position: Mapped[int] = mapped_column(Integer, default=0)


class CriterionAssessment(db.Model):
    """A reviewer's decision on whether an instructor meets one criterion, with the evidence."""

    __tablename__ = "criterion_assessment"
    __table_args__ = (UniqueConstraint("instructor_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the instructor assessed
    instructor_id: Mapped[int] = mapped_column(ForeignKey("instructor.id", ondelete="CASCADE"))
    #: the criterion
    criterion_id: Mapped[int] = mapped_column(ForeignKey("instructor_criterion.id", ondelete="CASCADE"))
    #: evidence, e.g. publications, past lectures, government career
    evidence: Mapped[str] = mapped_column(Text, default="")
    #: true when the reviewer decided the criterion is met
    met: Mapped[bool] = mapped_column(default=False)
    #: who decided
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: when
    reviewed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    instructor: Mapped[Instructor] = relationship(back_populates="assessments")
    criterion: Mapped[InstructorCriterion] = relationship()
