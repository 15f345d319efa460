"""Who may answer when, saving answers all-or-nothing, and results computed by the database."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..database import locked_transaction, race_window, unless_busy, utcnow
from ..enrollment.models import Attendance, Enrollment, EnrollmentStatus
from ..extensions import db
from ..forms import CONTROL_CHARACTERS, has_control_characters
from ..i18n.marks import colon
from ..notifications.services import notify
from ..people.models import Municipality, Person
from ..sessions.models import SessionDay, TrainingSession
from .models import (
    Answer,
    Question,
    QuestionKind,
    Questionnaire,
    SurveyKind,
    SurveyParticipant,
    SurveyResponse,
    SurveySection,
)

MIN_GROUP = 3  # smaller groups are never shown: 回答数が少ないため非表示
RATING_VALUES = (5, 4, 3, 2, 1)


class SurveyRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AnswersInvalid(Exception):
    """Question id → message; nothing was saved."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def load_questionnaire(questionnaire_id: int) -> Questionnaire | None:
    return db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.id == questionnaire_id)
        .options(selectinload(Questionnaire.sections).selectinload(SurveySection.questions))
    )


def questionnaire_for(session: TrainingSession, kind: SurveyKind) -> Questionnaire | None:
    questionnaire_id = db.session.scalar(
        select(Questionnaire.id).where(Questionnaire.course_id == session.course_id, Questionnaire.kind == kind)
    )
    return load_questionnaire(questionnaire_id) if questionnaire_id else None


def questions_of(questionnaire: Questionnaire) -> list[Question]:
    return [q for section in questionnaire.sections for q in section.questions]


# When and who -------------------------------------------------------------------------------------


def window(questionnaire: Questionnaire, session: TrainingSession) -> tuple[datetime, datetime]:
    """(opens, closes). Pre: from confirmation until the start. Post: from the end for `open_days` days."""
    if questionnaire.kind == SurveyKind.pre:
        return session.applications_open_at, session.starts_at
    return session.ends_at, session.ends_at + timedelta(days=questionnaire.open_days)


def refusal(
    person: Person, questionnaire: Questionnaire, session: TrainingSession, now: datetime | None = None
) -> str | None:
    """Why this person may not answer now; None when they may."""
    now = now or utcnow()
    if questionnaire.course_id != session.course_id:
        return _("この開催回のアンケートではありません。")
    if session.is_cancelled:
        return _("この開催回は中止されました。")
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.session_id == session.id, Enrollment.person_id == person.id)
    )
    if enrollment is None or not asks(questionnaire, enrollment):
        if questionnaire.kind == SurveyKind.pre:
            return _("事前アンケートは参加が確定した方が回答できます。")
        return _("事後アンケートは研修に出席した方が回答できます。")
    opens, closes = window(questionnaire, session)
    if now < opens:
        return _("アンケートはまだ始まっていません。")
    if now >= closes:
        return _("アンケートの回答期間は終了しました。")
    return None


def open_surveys_for(person: Person, enrollments: list[Enrollment]) -> dict[int, list[Questionnaire]]:
    """Session id → the questionnaires this person may answer now (two queries, whatever the count)."""
    course_ids = {e.session.course_id for e in enrollments}
    if not course_ids:
        return {}
    by_course: dict[int, list[Questionnaire]] = defaultdict(list)
    for questionnaire in db.session.scalars(select(Questionnaire).where(Questionnaire.course_id.in_(course_ids))):
        by_course[questionnaire.course_id].append(questionnaire)
    now = utcnow()
    found: dict[int, list[Questionnaire]] = {}
    for e in enrollments:
        if not e.session.days or e.session.is_cancelled:
            continue
        for questionnaire in by_course.get(e.session.course_id, []):
            opens, closes = window(questionnaire, e.session)
            if asks(questionnaire, e) and opens <= now < closes:
                found.setdefault(e.session_id, []).append(questionnaire)
    return found


def answered_by(person: Person) -> set[tuple[int, int]]:
    """(questionnaire id, session id) of every questionnaire the person has answered."""
    rows = db.session.execute(
        select(SurveyParticipant.questionnaire_id, SurveyParticipant.session_id).where(
            SurveyParticipant.person_id == person.id, SurveyParticipant.answered.is_(True)
        )
    )
    return {(questionnaire_id, session_id) for questionnaire_id, session_id in rows}


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def participant(questionnaire: Questionnaire, session: TrainingSession, person: Person) -> SurveyParticipant | None:
    return db.session.scalar(
        select(SurveyParticipant).where(
            SurveyParticipant.questionnaire_id == questionnaire.id,
            SurveyParticipant.session_id == session.id,
            SurveyParticipant.person_id == person.id,
        )
    )


def own_response(
    questionnaire: Questionnaire, session: TrainingSession, person: Person, edit_key: str | None
) -> SurveyResponse | None:
    """The response this person may edit: by person in named mode, by the browser's edit key if anonymous."""
    query = select(SurveyResponse).where(
        SurveyResponse.questionnaire_id == questionnaire.id, SurveyResponse.session_id == session.id
    )
    if questionnaire.anonymous:
        if not edit_key:
            return None
        query = query.where(SurveyResponse.edit_key_hash == _key_hash(edit_key))
    else:
        query = query.where(SurveyResponse.person_id == person.id)
    return db.session.scalar(query.options(selectinload(SurveyResponse.answers)))


# Answers ------------------------------------------------------------------------------------------


def _options(question: Question) -> set[str]:
    return {str(o["value"]) for o in question.options}


def read_answers(questionnaire: Questionnaire, form: MultiDict) -> list[Answer]:
    """Turn submitted form data into answers, or raise AnswersInvalid with a message per question.

    Field names: q<id> for a question, q<id>-<row key> for a grid row, q<id>-other for the free entry.
    """
    answers: list[Answer] = []
    errors: dict[int, str] = {}
    for question in questions_of(questionnaire):
        name = f"q{question.id}"
        try:
            found = _read_one(question, name, form)
        except ValueError as problem:
            errors[question.id] = str(problem)
            continue
        if not found and question.required:
            errors[question.id] = _("回答してください。")
        answers += found
    if errors:
        raise AnswersInvalid(errors)
    return answers


def _rating(value: str) -> float:
    if value not in {"1", "2", "3", "4", "5"}:
        raise ValueError(_("1から5の中から選んでください。"))
    return float(value)


def _read_one(question: Question, name: str, form: MultiDict) -> list[Answer]:
    kind = question.kind
    if kind == QuestionKind.rating:
        value = form.get(name, "")
        return [Answer(question_id=question.id, number=_rating(value))] if value else []
    if kind == QuestionKind.grid:
        found = []
        for row in question.rows:
            value = form.get(f"{name}-{row['key']}", "")
            if value:
                found.append(Answer(question_id=question.id, row_key=row["key"], number=_rating(value)))
            elif question.required:
                raise ValueError(_("すべての項目に回答してください。"))
        return found
    if kind == QuestionKind.single:
        value = form.get(name, "")
        if value and value not in _options(question):
            raise ValueError(_("選択肢の中から選んでください。"))
        return [Answer(question_id=question.id, option=value)] if value else []
    if kind == QuestionKind.multiple:
        values = form.getlist(name)
        allowed = _options(question) | ({"other"} if question.allow_other else set())
        if any(v not in allowed for v in values) or len(values) != len(set(values)):
            raise ValueError(_("選択肢の中から選んでください。"))
        other = (form.get(f"{name}-other") or "").strip()
        if "other" in values and not other:
            raise ValueError(_("「その他」の内容を入力してください。"))
        if len(other) > 200:
            raise ValueError(_("「その他」は200文字以内で入力してください。"))
        if has_control_characters(other):
            raise ValueError(str(CONTROL_CHARACTERS))
        return [Answer(question_id=question.id, option=v, text=other if v == "other" else None) for v in values]
    if kind == QuestionKind.number:
        raw = (form.get(name) or "").strip()
        if not raw:
            return []
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(_("数字で入力してください。")) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(_("数字で入力してください。"))
        low, high = question.min_value, question.max_value
        if low is not None and high is not None and not low <= number <= high:
            raise ValueError(_("%(min)sから%(max)sの範囲で入力してください。", min=f"{low:g}", max=f"{high:g}"))
        if low is not None and number < low:
            raise ValueError(_("%(min)s以上の数を入力してください。", min=f"{low:g}"))
        if high is not None and number > high:
            raise ValueError(_("%(max)s以下の数を入力してください。", max=f"{high:g}"))
        return [Answer(question_id=question.id, number=number)]
    text = (form.get(name) or "").strip()
    if len(text) > question.max_length:
        raise ValueError(_("%(n)d文字以内で入力してください。", n=question.max_length))
    if has_control_characters(text, multiline=True):
        raise ValueError(str(CONTROL_CHARACTERS))
    return [Answer(question_id=question.id, text=text)] if text else []


def submit(
    person: Person, questionnaire: Questionnaire, session: TrainingSession, form: MultiDict, edit_key: str | None = None
) -> str | None:
    """Save a response (or replace the person's earlier one) in one transaction.

    Anonymous mode returns the edit key for the browser to keep; the database keeps only its hash.
    """
    answers = read_answers(questionnaire, form)
    questionnaire_id, session_id, person_id = questionnaire.id, session.id, person.id
    with locked_transaction(TrainingSession, session_id):
        person = db.session.get(Person, person_id)
        reason = refusal(person, questionnaire, session)
        if reason:
            raise SurveyRefused(reason)
        record = participant(questionnaire, session, person)
        response = own_response(questionnaire, session, person, edit_key)
        race_window()
        if response is None and record is not None and record.answered:
            raise SurveyRefused(_("すでに回答済みです。匿名アンケートの回答は、回答したブラウザからのみ修正できます。"))
        new_key = None
        if response is None:
            response = SurveyResponse(
                questionnaire_id=questionnaire_id, session_id=session_id, municipality_id=person.municipality_id
            )
            if questionnaire.anonymous:
                new_key = secrets.token_urlsafe(24)
                response.edit_key_hash = _key_hash(new_key)
            else:
                response.person_id = person.id
            db.session.add(response)
        for answer in answers:
            answer.session_id, answer.municipality_id = session_id, response.municipality_id
        response.answers = answers
        if record is None:
            record = SurveyParticipant(questionnaire_id=questionnaire_id, session_id=session_id, person_id=person_id)
            db.session.add(record)
        record.answered = True
    return new_key or edit_key


# Invitations and reminders -------------------------------------------------------------------------


def send_invitations_and_reminders(now: datetime | None = None) -> int:
    """The periodic job: invite people when their survey opens, remind non-respondents once before it closes.
    Returns the number of messages queued. Each session is handled under the same lock as answers to it."""
    now = now or utcnow()
    due = []
    for questionnaire in db.session.scalars(select(Questionnaire)).all():
        sessions = db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.course_id == questionnaire.course_id, TrainingSession.cancelled_at.is_(None))
            .options(selectinload(TrainingSession.days))
        ).all()
        for session in sessions:
            if session.days:
                opens, closes = window(questionnaire, session)
                if opens <= now < closes:
                    remind = now >= closes - timedelta(days=questionnaire.remind_days_before_close)
                    due.append((questionnaire.id, session.id, closes, remind))
    queued = 0
    for questionnaire_id, session_id, closes, remind in due:
        with unless_busy(f"session {session_id}"), locked_transaction(TrainingSession, session_id):
            queued += _invite_and_remind(questionnaire_id, session_id, closes, remind)
    return queued


# Whom a questionnaire asks: confirmed people before the training, those who attended after it. The rule as SQL
# (asked) and for applications already loaded (asks).


def asked(questionnaire: Questionnaire):
    if questionnaire.kind == SurveyKind.pre:
        return Enrollment.status == EnrollmentStatus.confirmed
    return Enrollment.attendance == Attendance.attended


def asks(questionnaire: Questionnaire, enrollment: Enrollment) -> bool:
    if questionnaire.kind == SurveyKind.pre:
        return enrollment.status == EnrollmentStatus.confirmed
    return enrollment.attendance == Attendance.attended


def _invite_and_remind(questionnaire_id: int, session_id: int, closes: datetime, remind: bool) -> int:
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    session = db.session.get(TrainingSession, session_id)
    eligible = db.session.scalars(
        select(Person)
        .join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.session_id == session_id, asked(questionnaire))
    ).all()
    known = {
        p.person_id: p
        for p in db.session.scalars(
            select(SurveyParticipant).where(
                SurveyParticipant.questionnaire_id == questionnaire_id, SurveyParticipant.session_id == session_id
            )
        )
    }
    queued = 0
    context = {"questionnaire": questionnaire, "session": session, "closes_at": closes}
    for person in eligible:
        record = known.get(person.id)
        if record is None:
            record = SurveyParticipant(questionnaire_id=questionnaire_id, session_id=session_id, person_id=person.id)
            db.session.add(record)
        if record.answered:
            continue  # answered already (from "my trainings", before the invitation went out): nothing to ask
        if not record.invited:
            record.invited = True
            notify(person, "survey_invitation", context)
            queued += 1
        elif remind and not record.reminded and not record.answered:
            record.reminded = True
            notify(person, "survey_reminder", context)
            queued += 1
    return queued


# Results ---------------------------------------------------------------------------------------------


@dataclass
class Filters:
    session_id: int | None = None
    municipality_id: int | None = None

    def apply(self, query, model=SurveyResponse):
        """Restrict a query on responses (or, with model=Answer, on answers) to the chosen groups."""
        if self.session_id:
            query = query.where(model.session_id == self.session_id)
        if self.municipality_id:
            query = query.where(model.municipality_id == self.municipality_id)
        return query


@dataclass
class Bar:
    label: str
    count: int
    percent: float


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    mean: float | None = None
    rows: list[tuple[str, list[Bar], float | None, int]] = field(default_factory=list)  # grid
    texts: list[str] = field(default_factory=list)
    number_stats: tuple[float, float, float] | None = None  # mean, min, max


@dataclass
class Results:
    responses: int
    suppressed: bool
    questions: list[QuestionResult]


def _label(option: dict[str, Any], locale: str) -> str:
    return option.get("label_en") if locale == "en" and option.get("label_en") else option["label"]


def _bars(counts: dict[Any, int], labelled: list[tuple[Any, str]], total: int) -> list[Bar]:
    return [
        Bar(label, counts.get(key, 0), 100 * counts.get(key, 0) / total if total else 0.0) for key, label in labelled
    ]


def results(questionnaire: Questionnaire, filters: Filters, locale: str = "ja", text_limit: int = 200) -> Results:
    """Counts, percentages, means and texts for every question, aggregated by the database from one covering
    index; the number of queries does not grow with the number of responses."""
    total = db.session.scalar(
        filters.apply(select(func.count(SurveyResponse.id)).where(SurveyResponse.questionnaire_id == questionnaire.id))
    )
    questions = questions_of(questionnaire)
    if total < MIN_GROUP:
        return Results(total, True, [QuestionResult(q) for q in questions])
    ids = [q.id for q in questions]
    counts: dict[int, dict[tuple, int]] = defaultdict(dict)
    for question_id, row_key, option, number, n in db.session.execute(
        filters.apply(
            select(Answer.question_id, Answer.row_key, Answer.option, Answer.number, func.count())
            .where(Answer.question_id.in_(ids))
            .group_by(Answer.question_id, Answer.row_key, Answer.option, Answer.number),
            Answer,
        )
    ):
        counts[question_id][(row_key, option, number)] = n
    multiple = [q.id for q in questions if q.kind == QuestionKind.multiple]
    respondents = (
        dict(
            db.session.execute(
                filters.apply(
                    select(Answer.question_id, func.count(func.distinct(Answer.response_id)))
                    .where(Answer.question_id.in_(multiple))
                    .group_by(Answer.question_id),
                    Answer,
                )
            ).all()
        )
        if multiple
        else {}
    )
    texts: dict[int, list[str]] = defaultdict(list)
    for question in questions:
        if question.kind in (QuestionKind.short_text, QuestionKind.long_text) or question.allow_other:
            texts[question.id] = list(
                db.session.scalars(
                    filters.apply(
                        select(Answer.text).where(Answer.question_id == question.id, Answer.text.is_not(None)), Answer
                    ).limit(text_limit)
                )
            )
    return Results(total, False, [_summarise(q, counts.get(q.id, {}), respondents, texts, locale) for q in questions])


def _numbers(
    found: dict[tuple, int], row_key: str | None = None
) -> tuple[int, float | None, float | None, float | None]:
    """(answers, mean, min, max) of the numeric answers among grouped counts."""
    values = [(number, n) for (row, _option, number), n in found.items() if row == row_key and number is not None]
    total = sum(n for _number, n in values)
    if not total:
        return 0, None, None, None
    return total, sum(v * n for v, n in values) / total, min(v for v, _n in values), max(v for v, _n in values)


def _summarise(
    question: Question, found: dict[tuple, int], respondents: dict[int, int], texts: dict[int, list[str]], locale: str
) -> QuestionResult:
    result = QuestionResult(question)
    scale = [(v, _label(o, locale)) for v, o in zip(RATING_VALUES, question.options, strict=False)]
    if question.kind == QuestionKind.rating:
        result.answered, result.mean, _low, _high = _numbers(found)
        result.bars = _bars({k[2]: n for k, n in found.items()}, scale, result.answered)
    elif question.kind == QuestionKind.grid:
        for row in question.rows:
            n_row, row_mean, _low, _high = _numbers(found, row["key"])
            row_counts = {k[2]: n for k, n in found.items() if k[0] == row["key"]}
            result.rows.append((_label(row, locale), _bars(row_counts, scale, n_row), row_mean, n_row))
        result.answered = max((r[3] for r in result.rows), default=0)
    elif question.kind in (QuestionKind.single, QuestionKind.multiple):
        option_counts = {k[1]: n for k, n in found.items()}
        result.answered = (
            respondents.get(question.id, 0) if question.kind == QuestionKind.multiple else sum(option_counts.values())
        )
        labelled = [(str(o["value"]), _label(o, locale)) for o in question.options]
        if question.allow_other:
            labelled.append(("other", _("その他")))
        result.bars = _bars(option_counts, labelled, result.answered)
        result.texts = texts.get(question.id, [])
    elif question.kind == QuestionKind.number:
        result.answered, mean, low, high = _numbers(found)
        result.number_stats = (mean, low, high) if result.answered else None
    else:
        result.texts = texts.get(question.id, [])
        result.answered = len(result.texts)
    return result


@dataclass
class Comparison:
    key: str
    label: str
    before: float | None
    after: float | None
    before_n: int
    after_n: int

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


def pre_post(
    course_id: int, locale: str = "ja", session_id: int | None = None
) -> tuple[list[Comparison], dict[str, list[Comparison]]]:
    """For each awareness item: mean before and after, overall and per municipality; a side with fewer
    than three responses is shown as suppressed (None)."""
    query = (
        select(
            Question.awareness_key,
            Questionnaire.kind,
            Answer.municipality_id,
            func.avg(Answer.number),
            func.count(distinct(Answer.response_id)),  # people, not answers: the group-of-three rule counts people
        )
        .join(Answer, Answer.question_id == Question.id)
        .join(SurveySection, SurveySection.id == Question.section_id)
        .join(Questionnaire, Questionnaire.id == SurveySection.questionnaire_id)
        .where(Questionnaire.course_id == course_id, Question.awareness_key.is_not(None))
        .group_by(Question.awareness_key, Questionnaire.kind, Answer.municipality_id)
    )
    if session_id:
        query = query.where(Answer.session_id == session_id)
    cells: dict[tuple[str, str, int], tuple[float, int]] = {
        (key, str(kind), m): (float(mean), n) for key, kind, m, mean, n in db.session.execute(query)
    }
    labels = {
        q.awareness_key: q.label(locale)
        for q in db.session.scalars(
            select(Question)
            .join(SurveySection)
            .join(Questionnaire)
            .where(
                Questionnaire.course_id == course_id,
                Questionnaire.kind == SurveyKind.post,
                Question.awareness_key.is_not(None),
            )
            .order_by(SurveySection.position, Question.position)
        )
    }

    def combine(key: str, kind: str, municipality_id: int | None) -> tuple[float | None, int]:
        parts = [
            (mean, n)
            for (k, s, m), (mean, n) in cells.items()
            if k == key and s == kind and (municipality_id is None or m == municipality_id)
        ]
        n = sum(p[1] for p in parts)
        if n < MIN_GROUP:
            return None, n
        return sum(mean * count for mean, count in parts) / n, n

    def row(key: str, municipality_id: int | None) -> Comparison:
        before, before_n = combine(key, "pre", municipality_id)
        after, after_n = combine(key, "post", municipality_id)
        return Comparison(key, labels[key], before, after, before_n, after_n)

    overall = [row(key, None) for key in labels]
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.sort_order)).all()
    by_municipality = {m.display_name(locale): [row(key, m.id) for key in labels] for m in municipalities}
    return overall, by_municipality


def _answered(questionnaire: Questionnaire):
    """Join condition: the enrollment's person has answered the questionnaire for that session."""
    return and_(
        SurveyParticipant.questionnaire_id == questionnaire.id,
        SurveyParticipant.session_id == Enrollment.session_id,
        SurveyParticipant.person_id == Enrollment.person_id,
        SurveyParticipant.answered.is_(True),
    )


def _opened(questionnaire: Questionnaire, now: datetime):
    """Sessions whose questionnaire has opened (people are not counted as missing before they can answer)."""
    if questionnaire.kind == SurveyKind.pre:
        return TrainingSession.applications_open_at <= now
    last_end = select(func.max(SessionDay.ends_at)).where(SessionDay.session_id == TrainingSession.id)
    return last_end.scalar_subquery() <= now


def response_rates(
    questionnaire: Questionnaire, session_id: int | None, municipality_id: int | None = None, locale: str = "ja"
):
    """(municipality name, asked, answered) per municipality: everyone the questionnaire asks in sessions where
    it has opened (whether or not their invitation has gone out yet), and how many of them answered."""
    query = (
        select(Municipality, func.count(Enrollment.id), func.count(SurveyParticipant.id))
        .select_from(Enrollment)
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .join(Municipality, Municipality.id == Enrollment.municipality_id)
        .outerjoin(SurveyParticipant, _answered(questionnaire))
        .where(
            TrainingSession.course_id == questionnaire.course_id,
            TrainingSession.cancelled_at.is_(None),
            _opened(questionnaire, utcnow()),
            asked(questionnaire),
        )
        .group_by(Municipality.id)
        .order_by(Municipality.sort_order)
    )
    if session_id:
        query = query.where(Enrollment.session_id == session_id)
    if municipality_id:
        query = query.where(Enrollment.municipality_id == municipality_id)
    return [(m.display_name(locale), count, answers) for m, count, answers in db.session.execute(query)]


def non_respondents(questionnaire: Questionnaire, session_id: int, municipality_id: int) -> list[Person]:
    """Named mode only: who of a municipality's staff the questionnaire asks and has not answered yet."""
    if questionnaire.anonymous:
        return []
    return list(
        db.session.scalars(
            select(Person)
            .join(Enrollment, Enrollment.person_id == Person.id)
            .outerjoin(SurveyParticipant, _answered(questionnaire))
            .where(
                Enrollment.session_id == session_id,
                Enrollment.municipality_id == municipality_id,
                asked(questionnaire),
                SurveyParticipant.id.is_(None),
            )
            .order_by(Person.name_kana)
        )
    )


def _cell(parts: list[str | float]) -> str | float | int:
    """One answer cell: a lone number stays a number (Excel can average it), anything else is text."""
    if len(parts) == 1 and isinstance(parts[0], float):
        return int(parts[0]) if parts[0].is_integer() else parts[0]
    return " / ".join(f"{p:g}" if isinstance(p, float) else p for p in parts)


def export_rows(questionnaire: Questionnaire, filters: Filters, locale: str = "ja") -> list[list[Any]]:
    """One row per response. Anonymous questionnaires carry no name; every group under three is left out."""
    from ..enrollment.roster import safe_cell

    questions = questions_of(questionnaire)
    columns: list[tuple[int, str | None, str]] = []
    for q in questions:
        if q.kind == QuestionKind.grid:
            columns += [(q.id, row["key"], f"{q.label(locale)}{colon(locale)}{_label(row, locale)}") for row in q.rows]
        else:
            columns.append((q.id, None, q.label(locale)))
    header = [_("回答ID"), _("開催回"), _("市町")] + ([] if questionnaire.anonymous else [_("氏名")])
    rows: list[list[Any]] = [header + [c[2] for c in columns]]
    total = db.session.scalar(
        filters.apply(select(func.count(SurveyResponse.id)).where(SurveyResponse.questionnaire_id == questionnaire.id))
    )
    if total < MIN_GROUP:
        return rows
    responses = db.session.scalars(
        filters.apply(select(SurveyResponse).where(SurveyResponse.questionnaire_id == questionnaire.id))
        .options(selectinload(SurveyResponse.answers))
        .order_by(SurveyResponse.id)
    ).all()
    sessions = dict(db.session.execute(select(TrainingSession.id, TrainingSession.title)).all())
    municipality_names = {m.id: m.display_name(locale) for m in db.session.scalars(select(Municipality))}
    people = (
        dict(
            db.session.execute(
                select(Person.id, Person.name).where(Person.id.in_([r.person_id for r in responses if r.person_id]))
            ).all()
        )
        if not questionnaire.anonymous
        else {}
    )
    choices = (QuestionKind.single, QuestionKind.multiple)
    options = {q.id: {str(o["value"]): _label(o, locale) for o in q.options} for q in questions if q.kind in choices}
    group_sizes = defaultdict(int)
    for response in responses:
        group_sizes[(response.session_id, response.municipality_id)] += 1
    for response in responses:
        values: dict[tuple[int, str | None], list[str | float]] = defaultdict(list)
        for a in response.answers:
            if a.option == "other":
                values[(a.question_id, None)].append(_("その他：%(text)s", text=a.text or ""))
            elif a.option is not None:
                values[(a.question_id, None)].append(options.get(a.question_id, {}).get(a.option, a.option))
            elif a.number is not None:
                values[(a.question_id, a.row_key)].append(a.number)
            else:
                values[(a.question_id, None)].append(a.text or "")
        if questionnaire.anonymous and group_sizes[(response.session_id, response.municipality_id)] < MIN_GROUP:
            continue  # a group this small would identify its respondents: left out entirely
        municipality = municipality_names.get(response.municipality_id, "")
        row = [response.id, sessions.get(response.session_id, ""), municipality]
        if not questionnaire.anonymous:
            row.append(people.get(response.person_id, ""))
        row += [_cell(values.get((qid, key), [])) for qid, key, _label_ in columns]
        rows.append([safe_cell(v) for v in row])
    return rows
