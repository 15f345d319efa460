"""Questionnaires (per course, reused by every session), responses and who has answered.

Anonymity is kept by the schema itself: an anonymous response row has a random id, no person, no time
and (on SQLite) no rowid, so nothing orders or joins it to the participant row that records that
someone answered. Only the session and municipality are kept, for results that suppress small groups.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class SurveyKind(enum.StrEnum):
    pre = "pre"  # 事前アンケート: confirmed participants, until the session starts
    post = "post"  # 事後アンケート: attended participants, from the end of the session for some days


class QuestionKind(enum.StrEnum):
    rating = "rating"  # 5-point scale
    grid = "grid"  # several statements sharing one 5-point scale
    single = "single"  # one of the options
    multiple = "multiple"  # any of the options, optionally "その他" with text
    number = "number"
    short_text = "short_text"
    long_text = "long_text"


class Questionnaire(db.Model):
    """A questionnaire of a course, used for each of its sessions."""

    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("course_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course it belongs to
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    #: before or after the session
    kind: Mapped[SurveyKind] = mapped_column(Enum(SurveyKind, native_enum=False, length=8))
    #: title in Japanese
    title: Mapped[str] = mapped_column(String(200))
    #: title in English
    title_en: Mapped[str] = mapped_column(String(200), default="")
    #: text shown above the questions
    intro: Mapped[str] = mapped_column(Text, default="")
    #: intro in English
    intro_en: Mapped[str] = mapped_column(Text, default="")
    #: responses carry no link to the person (default for post-training surveys)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    #: post-training: days after the session's end during which answers are accepted
    open_days: Mapped[int] = mapped_column(Integer, default=14)
    #: days before closing when non-respondents get their one reminder
    remind_days_before_close: Mapped[int] = mapped_column(Integer, default=3)

    sections: Mapped[list[SurveySection]] = relationship(
        back_populates="questionnaire", cascade="all, delete-orphan", order_by="SurveySection.position"
    )

    def display_title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title


class SurveySection(db.Model):
    """A titled group of questions."""

    __tablename__ = "survey_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the questionnaire
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True)
    #: order within the questionnaire
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: heading in Japanese
    title: Mapped[str] = mapped_column(String(200))
    #: heading in English
    title_en: Mapped[str] = mapped_column(String(200), default="")

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="sections")
    questions: Mapped[list[Question]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="Question.position"
    )


class Question(db.Model):
    """One question. Options, scale labels and grid rows are stored as JSON lists with both languages."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the section it appears in
    section_id: Mapped[int] = mapped_column(ForeignKey("survey_section.id", ondelete="CASCADE"), index=True)
    #: order within the section
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: rating, grid, single, multiple, number, short_text or long_text
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, native_enum=False, length=12))
    #: the question in Japanese
    text: Mapped[str] = mapped_column(Text)
    #: the question in English
    text_en: Mapped[str] = mapped_column(Text, default="")
    #: help text in Japanese
    help: Mapped[str] = mapped_column(Text, default="")
    #: help text in English
    help_en: Mapped[str] = mapped_column(Text, default="")
    #: an answer is required
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the same key on a pre and a post question makes them one awareness item, compared before/after
    awareness_key: Mapped[str | None] = mapped_column(String(40))
    #: choices: [{"value", "label", "label_en"}]; rating/grid: the scale labels from 5 down to 1
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: grid statements: [{"key", "label", "label_en"}]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: multiple choice offers "その他" with a free entry
    allow_other: Mapped[bool] = mapped_column(Boolean, default=False)
    #: number: smallest and largest accepted value
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    #: text: longest accepted answer in characters
    max_length: Mapped[int] = mapped_column(Integer, default=1000)

    section: Mapped[SurveySection] = relationship(back_populates="questions")

    def label(self, locale: str) -> str:
        return self.text_en if locale == "en" and self.text_en else self.text


def _random_id() -> str:
    return uuid.uuid4().hex


class SurveyResponse(db.Model):
    """One filled-in questionnaire for one session. Anonymous ones: random id, no person, no time."""

    __tablename__ = "survey_response"
    # No hidden insertion-ordered rowid on SQLite: row order must not reveal who answered when.
    __table_args__ = {"sqlite_with_rowid": False}

    #: random, so ids do not follow the order of answering
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    #: the questionnaire
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True)
    #: the session it is about
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    #: the respondent's municipality, for results by municipality (groups under 3 are never shown)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    #: the respondent, in named mode only; always empty in anonymous mode
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    #: anonymous mode: SHA-256 of the edit key kept only in the respondent's browser session
    edit_key_hash: Mapped[str | None] = mapped_column(String(64))

    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(db.Model):
    """One value of a response: a rating, a chosen option (one row each), a number or a text.

    Session and municipality are copied from the response so results are aggregated from one covering
    index, without joining 10,000s of responses.
    """

    __tablename__ = "answer"
    __table_args__ = (
        # Covers every aggregate of the results page, so the database never visits the rows themselves.
        Index(
            "ix_answer_results",
            "session_id",
            "question_id",
            "row_key",
            "option",
            "number",
            "municipality_id",
            "response_id",
        ),
        {"sqlite_with_rowid": False},
    )

    #: random, like the response's
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    #: the response
    response_id: Mapped[str] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    #: the question
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    #: the response's session (copied, for results)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    #: the response's municipality (copied, for results)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    #: the grid statement answered; empty for other kinds
    row_key: Mapped[str | None] = mapped_column(String(40))
    #: the chosen option's value (single, multiple; "other" for the free entry)
    option: Mapped[str | None] = mapped_column(String(40))
    #: rating 1–5 or the number given
    number: Mapped[float | None] = mapped_column(Float)
    #: free text (text questions, "その他")
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")


class SurveyParticipant(db.Model):
    """Someone asked to answer a questionnaire for a session: invited, reminded, answered. Says nothing of what
    they answered and carries no time, so it cannot be matched to an anonymous response."""

    __tablename__ = "survey_participant"
    __table_args__ = (UniqueConstraint("questionnaire_id", "session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the questionnaire
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"))
    #: the session
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    #: the person
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: the invitation mail was queued
    invited: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the one reminder was queued
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the person has answered (they may still edit until the survey closes)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
