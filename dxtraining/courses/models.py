"""The course (研修), its curriculum tree (内容) and case studies (他自治体の事例)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import AwareDateTime, utcnow
from ..extensions import db
from ..people.models import Municipality, Rank


class SessionFormat(enum.StrEnum):
    """集合形式 (the default), オンライン形式 (the report's fallback), or both at once."""

    in_person = "in_person"
    online = "online"
    hybrid = "hybrid"


class Course(db.Model):
    """A course such as 自治体職員のDXに関する意識醸成研修: what it teaches, to whom, and how."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: title, e.g. 自治体職員のDXに関する意識醸成研修
    title: Mapped[str] = mapped_column(String(120))
    #: title in English for the English interface
    title_en: Mapped[str] = mapped_column(String(160), default="")
    #: テーマ as the report states it
    theme: Mapped[str] = mapped_column(Text, default="")
    #: why the course exists (意識醸成)
    purpose: Mapped[str] = mapped_column(Text, default="")
    #: 対象 in words, e.g. 5市1町課長級以下の職員
    target_description: Mapped[str] = mapped_column(Text, default="")
    #: highest rank allowed to apply (課長級以下 → 課長級); municipalities may override it
    max_rank_id: Mapped[int] = mapped_column(ForeignKey("rank.id"))
    #: 形式 for new sessions
    default_format: Mapped[SessionFormat] = mapped_column(
        Enum(SessionFormat, native_enum=False, length=12), default=SessionFormat.in_person
    )
    #: 形式 in words, with the online fallback clause
    format_description: Mapped[str] = mapped_column(Text, default="")
    #: 規模: seats of a new session (30人程度)
    default_capacity: Mapped[int] = mapped_column(Integer, default=30)
    #: seats reserved per municipality in a new session (各市町5人程度)
    default_quota: Mapped[int] = mapped_column(Integer, default=5)
    #: 講師選定基準 in the report's words
    criteria_text: Mapped[str] = mapped_column(Text, default="")
    #: when the course was created
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    max_rank: Mapped[Rank] = relationship()
    rank_limits: Mapped[list[CourseRankLimit]] = relationship(cascade="all, delete-orphan")

    def display_title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title


class CourseRankLimit(db.Model):
    """A municipality's own eligibility limit for a course (「各市町の実情に応じて変更可」)."""

    __tablename__ = "course_rank_limit"
    __table_args__ = (UniqueConstraint("course_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    #: the municipality whose limit differs
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    #: the highest rank that municipality's staff may have
    max_rank_id: Mapped[int] = mapped_column(ForeignKey("rank.id"))

    municipality: Mapped[Municipality] = relationship()
    max_rank: Mapped[Rank] = relationship()


case_study_module = Table(
    "case_study_module",
    db.metadata,
    Column("case_study_id", ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True),
    Column("module_id", ForeignKey("curriculum_module.id", ondelete="CASCADE"), primary_key=True),
)


class CurriculumModule(db.Model):
    """One entry of the curriculum tree. Its number ((1), ①, ア) comes from its position, never typed."""

    __tablename__ = "curriculum_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course the module belongs to
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    #: the module it sits under; empty at the top level
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("curriculum_module.id", ondelete="CASCADE"))
    #: order among its siblings, from 0
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: title without its number, e.g. DXの基礎知識
    title: Mapped[str] = mapped_column(String(200))
    #: optional description of the content
    description: Mapped[str] = mapped_column(Text, default="")
    #: optional planned length in minutes
    planned_minutes: Mapped[int | None] = mapped_column(Integer)

    case_studies: Mapped[list[CaseStudy]] = relationship(secondary=case_study_module, back_populates="modules")


class CaseStudy(db.Model):
    """An initiative of one municipality, used as material for 他自治体の事例 (report section II)."""

    __tablename__ = "case_study"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the municipality whose initiative it is
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    #: name of the initiative, e.g. スマート窓口
    title: Mapped[str] = mapped_column(String(200))
    #: one-sentence summary
    summary: Mapped[str] = mapped_column(Text, default="")
    #: 目的
    purpose: Mapped[str] = mapped_column(Text, default="")
    #: 実施時期 / 期間
    period: Mapped[str] = mapped_column(Text, default="")
    #: 対象
    target: Mapped[str] = mapped_column(Text, default="")
    #: 費用
    cost: Mapped[str] = mapped_column(Text, default="")
    #: 効果・成果
    outcome: Mapped[str] = mapped_column(Text, default="")

    municipality: Mapped[Municipality] = relationship()
    modules: Mapped[list[CurriculumModule]] = relationship(secondary=case_study_module, back_populates="case_studies")
