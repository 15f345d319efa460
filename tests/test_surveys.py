"""Pre- and post-training questionnaires: who answers when, bad answers, anonymity held by the database,
and results that show whether awareness grew."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import DateTime, inspect, text
from werkzeug.datastructures import MultiDict

from dxtraining.courses.seed import load_course
from dxtraining.database import utcnow
from dxtraining.enrollment import services as enrollment
from dxtraining.enrollment.models import Attendance, Enrollment
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.surveys import services
from dxtraining.surveys.models import (
    Answer,
    Questionnaire,
    SurveyKind,
    SurveyParticipant,
    SurveyResponse,
)
from dxtraining.surveys.seed import load_questionnaires
from tests.conftest import text_of
from tests.planning_helpers import make_session


@pytest.fixture
def course(app):
    course = load_course()
    load_questionnaires(course)
    return course


def questionnaire(course, kind) -> Questionnaire:
    q_id = db.session.scalar(
        db.select(Questionnaire.id).where(Questionnaire.course_id == course.id, Questionnaire.kind == kind)
    )
    return services.load_questionnaire(q_id)


def full_answers(q: Questionnaire, rating: int = 4) -> MultiDict:
    """A complete, valid set of answers for any of the seed questionnaires."""
    data = MultiDict()
    for question in services.questions_of(q):
        name = f"q{question.id}"
        if question.kind.value == "rating":
            data[name] = str(rating)
        elif question.kind.value == "grid":
            for row in question.rows:
                data[f"{name}-{row['key']}"] = "5"
        elif question.kind.value == "single":
            data[name] = question.options[0]["value"]
        elif question.kind.value == "multiple":
            data.setlist(name, [question.options[0]["value"], "other"])
            data[f"{name}-other"] = "グループワーク"
        elif question.kind.value == "number":
            data[name] = "3"
        else:
            data[name] = "とても参考になりました"
    return data


def ended_session(course, people):
    """A session whose day is over, with these people confirmed and marked attended."""
    session = make_session(course, capacity=50)
    for person in people:
        enrollment.apply(person, session.id)
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() - timedelta(hours=5), utcnow() - timedelta(hours=2)
    for e in db.session.scalars(db.select(Enrollment).where(Enrollment.session_id == session.id)):
        e.attendance = Attendance.attended
    db.session.commit()
    return session


def test_seed_pair_compares_the_same_awareness_items_in_both_languages(course):
    pre, post = questionnaire(course, SurveyKind.pre), questionnaire(course, SurveyKind.post)
    keys = lambda q: [x.awareness_key for x in services.questions_of(q) if x.awareness_key]  # noqa: E731
    assert keys(pre) == keys(post) == ["understanding", "why_now", "own_work", "first_step"]
    assert all(x.text_en for x in services.questions_of(post))
    kinds = {x.kind.value for x in services.questions_of(post)}
    assert {"rating", "grid", "multiple", "number", "long_text"} <= kinds
    assert post.anonymous


def test_pre_survey_is_for_confirmed_people_until_the_start(course, make_person):
    session = make_session(course, capacity=1, quotas={})
    confirmed, waiting = make_person("草加市"), make_person("草加市")
    enrollment.apply(confirmed, session.id)
    enrollment.apply(waiting, session.id)
    pre = questionnaire(course, SurveyKind.pre)
    assert services.refusal(confirmed, pre, session) is None
    assert "参加が確定した方" in services.refusal(waiting, pre, session)
    assert "終了しました" in services.refusal(confirmed, pre, session, now=session.starts_at)


def test_post_survey_is_for_attended_people_from_the_end_for_a_set_number_of_days(course, make_person):
    attended, absent = make_person("草加市"), make_person("越谷市")
    session = ended_session(course, [attended, absent])
    db.session.scalar(db.select(Enrollment).where(Enrollment.person_id == absent.id)).attendance = Attendance.absent
    db.session.commit()
    post = questionnaire(course, SurveyKind.post)
    assert services.refusal(attended, post, session) is None
    assert "出席した方" in services.refusal(absent, post, session)
    assert "まだ始まっていません" in services.refusal(
        attended, post, session, now=session.ends_at - timedelta(minutes=1)
    )
    late = session.ends_at + timedelta(days=post.open_days)
    assert "終了しました" in services.refusal(attended, post, session, now=late)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda q, d: d.pop(f"q{q['rating'].id}"), "回答してください。"),
        (lambda q, d: d.__setitem__(f"q{q['rating'].id}", "6"), "1から5の中から選んでください。"),
        (lambda q, d: d.setlist(f"q{q['multiple'].id}", ["invented"]), "選択肢の中から選んでください。"),
        (lambda q, d: d.__setitem__(f"q{q['long_text'].id}", "あ" * 2001), "2000文字以内"),
        (lambda q, d: d.__setitem__(f"q{q['number'].id}", "9999"), "0から500の範囲"),
        (lambda q, d: d.__setitem__(f"q{q['number'].id}", "nan"), "数字で入力してください。"),
        (  # a number with only a lower limit
            lambda q, d: (setattr(q["number"], "max_value", None), d.__setitem__(f"q{q['number'].id}", "-1")),
            "0以上の数を入力してください。",
        ),
        (lambda q, d: d.__setitem__(f"q{q['multiple'].id}-other", ""), "「その他」の内容を入力してください。"),
    ],
)
def test_bad_answers_are_refused_with_a_message_and_nothing_is_saved(course, make_person, change, message):
    person = make_person("草加市")
    session = ended_session(course, [person])
    post = questionnaire(course, SurveyKind.post)
    first = {}
    for question in services.questions_of(post):
        first.setdefault(question.kind.value, question)
    data = full_answers(post)
    change(first, data)
    with pytest.raises(services.AnswersInvalid) as invalid:
        services.submit(person, post, session, data)
    assert any(message in m for m in invalid.value.errors.values()), invalid.value.errors
    assert db.session.scalar(db.select(db.func.count(SurveyResponse.id))) == 0
    assert db.session.scalar(db.select(db.func.count(SurveyParticipant.id))) == 0


def test_one_response_per_person_editable_from_the_same_browser_only(course, make_person):
    person = make_person("草加市")
    session = ended_session(course, [person])
    post = questionnaire(course, SurveyKind.post)
    key = services.submit(person, post, session, full_answers(post, rating=2))
    assert key
    services.submit(person, post, session, full_answers(post, rating=5), edit_key=key)
    assert db.session.scalar(db.select(db.func.count(SurveyResponse.id))) == 1
    rating_id = services.questions_of(post)[0].id
    assert db.session.scalar(db.select(Answer.number).where(Answer.question_id == rating_id)) == 5
    with pytest.raises(services.SurveyRefused, match="すでに回答済み"):
        services.submit(person, post, session, full_answers(post))  # another browser: no key
    with pytest.raises(services.SurveyRefused):
        services.submit(make_person("草加市"), post, session, full_answers(post))  # never attended


def test_anonymity_holds_in_the_database(app, course, make_person):
    people = [make_person(m) for m in ("草加市", "草加市", "越谷市")]
    session = ended_session(course, people)
    post = questionnaire(course, SurveyKind.post)
    for person in people:
        services.submit(person, post, session, full_answers(post))
    # no column that names the person or says when; ids that do not follow the order of answering
    for model in (SurveyResponse, Answer, SurveyParticipant):
        columns = inspect(model).columns
        assert not [c.name for c in columns if isinstance(c.type, DateTime)], model
    responses = db.session.scalars(db.select(SurveyResponse)).all()
    assert {r.person_id for r in responses} == {None}
    assert all(len(r.id) == 32 for r in responses)
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(Exception, match="rowid"):
            db.session.execute(text("SELECT rowid FROM survey_response"))
        db.session.rollback()
    # the participant rows only say that these people answered
    assert db.session.scalar(db.select(db.func.count(SurveyParticipant.id)).where(SurveyParticipant.answered)) == 3
    # and nothing else recorded who answered what: no audit entry, no message
    from dxtraining.audit.models import AuditEntry

    assert not db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.subject_type.like("survey%")))


def test_named_mode_keeps_the_person_and_lists_non_respondents(course, make_person):
    pre = questionnaire(course, SurveyKind.pre)
    pre.anonymous = False
    db.session.commit()
    session = make_session(course, capacity=40)
    answered, silent = make_person("三郷市", name="回答 済子"), make_person("三郷市", name="未回答 太郎")
    for person in (answered, silent):
        enrollment.apply(person, session.id)
    services.send_invitations_and_reminders()
    services.submit(answered, pre, session, full_answers(pre))
    response = db.session.scalar(db.select(SurveyResponse))
    assert response.person_id == answered.id
    missing = services.non_respondents(pre, session.id, answered.municipality_id)
    assert [p.name for p in missing] == ["未回答 太郎"]


def test_invitations_go_out_when_the_survey_opens_and_one_reminder_before_it_closes(course, make_person):
    people = [make_person("八潮市"), make_person("八潮市")]
    session = ended_session(course, people)
    post = questionnaire(course, SurveyKind.post)
    db.session.execute(db.delete(Message))
    db.session.commit()
    assert services.send_invitations_and_reminders() >= 2
    services.submit(people[0], post, session, full_answers(post))
    closes = services.window(post, session)[1]
    reminder_time = closes - timedelta(days=post.remind_days_before_close) + timedelta(minutes=1)
    services.send_invitations_and_reminders(now=reminder_time)
    services.send_invitations_and_reminders(now=reminder_time)  # only once
    reminders = db.session.scalars(db.select(Message.person_id).where(Message.kind == "survey_reminder")).all()
    assert reminders == [people[1].id]


def test_nobody_is_invited_to_a_survey_they_have_already_answered(course, make_person):
    people = [make_person("八潮市"), make_person("八潮市")]
    session = ended_session(course, people)
    post = questionnaire(course, SurveyKind.post)
    services.submit(people[0], post, session, full_answers(post))  # from "my trainings", before the job ran
    db.session.execute(db.delete(Message))
    db.session.commit()
    services.send_invitations_and_reminders()
    invited = db.session.scalars(
        db.select(Message.person_id).where(
            Message.kind == "survey_invitation", Message.person_id.in_([p.id for p in people])
        )
    ).all()
    assert invited == [people[1].id]


def test_results_are_counted_by_the_database_and_small_groups_are_hidden(course, make_person):
    soka = [make_person("草加市") for _ in range(3)]
    yoshikawa = [make_person("吉川市")]
    session = ended_session(course, soka + yoshikawa)
    post = questionnaire(course, SurveyKind.post)
    for person, rating in zip(soka + yoshikawa, (5, 4, 4, 1), strict=True):
        services.submit(person, post, session, full_answers(post, rating=rating))
    overall = services.results(post, services.Filters(session_id=session.id))
    first = overall.questions[0]
    assert overall.responses == 4 and not overall.suppressed
    assert first.mean == pytest.approx(3.5)
    assert [(b.label, b.count) for b in first.bars] == [
        ("とてもそう思う", 1),
        ("そう思う", 2),
        ("どちらともいえない", 0),
        ("そう思わない", 0),
        ("まったくそう思わない", 1),
    ]
    assert first.bars[1].percent == pytest.approx(50.0)
    lonely = services.results(post, services.Filters(municipality_id=yoshikawa[0].municipality_id))
    assert lonely.suppressed and lonely.responses == 1


def test_pre_post_comparison_overall_and_per_municipality(course, make_person):
    people = [make_person("草加市") for _ in range(3)] + [make_person("松伏町")]
    session = make_session(course, capacity=40)
    for person in people:
        enrollment.apply(person, session.id)
    pre, post = questionnaire(course, SurveyKind.pre), questionnaire(course, SurveyKind.post)
    for person in people:
        services.submit(person, pre, session, full_answers(pre, rating=2))
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() - timedelta(hours=5), utcnow() - timedelta(hours=2)
    for e in db.session.scalars(db.select(Enrollment)):
        e.attendance = Attendance.attended
    db.session.commit()
    for person in people:
        services.submit(person, post, session, full_answers(post, rating=4))
    overall, by_municipality = services.pre_post(course.id)
    understanding = overall[0]
    assert (understanding.before, understanding.after, understanding.change) == (2.0, 4.0, 2.0)
    assert by_municipality["草加市"][0].change == 2.0
    assert by_municipality["松伏町"][0].before is None  # one person: suppressed


def test_the_comparison_counts_people_not_answers(course, make_person):
    """Two answers of one person under the same awareness item (data from before the builder refused it) are one
    person: two people are still a group under three, and stay hidden."""
    people = [make_person("草加市") for _ in range(2)]
    session = ended_session(course, people)
    post = questionnaire(course, SurveyKind.post)
    keyed = next(q for q in services.questions_of(post) if q.awareness_key)
    twin = next(q for q in services.questions_of(post) if q.kind == keyed.kind and q.id != keyed.id)
    twin.awareness_key = keyed.awareness_key
    db.session.commit()
    for person in people:
        services.submit(person, post, session, full_answers(post, rating=4))
    row = next(c for c in services.pre_post(course.id)[0] if c.key == keyed.awareness_key)
    assert row.after is None and row.after_n == 2


def test_export_respects_anonymity(course, make_person):
    people = [make_person("草加市", name="匿名 希望") for _ in range(3)] + [make_person("吉川市")]
    session = ended_session(course, people)
    post = questionnaire(course, SurveyKind.post)
    for person in people:
        services.submit(person, post, session, full_answers(post))
    rows = services.export_rows(post, services.Filters())
    assert len(rows) == 4  # the header and 草加市's three; 吉川市's one response alone would identify its author
    assert "氏名" not in rows[0]
    assert not any("匿名 希望" in str(cell) for row in rows for cell in row)
    assert sorted(row[2] for row in rows[1:]) == ["草加市", "草加市", "草加市"]
    rating = rows[0].index(services.questions_of(post)[0].label("ja"))
    assert rows[1][rating] == 4  # a number Excel can average, not the text "4"


def test_answer_page_marks_errors_and_results_page_draws_charts(client_for, course, make_person):
    people = [make_person("草加市") for _ in range(3)]
    session = ended_session(course, people)
    post = questionnaire(course, SurveyKind.post)
    user = client_for(people[0])
    assert "事後アンケートに回答する" in text_of(user.get("/my/trainings"))
    url = f"/surveys/{post.id}/sessions/{session.id}"
    page = text_of(user.get(url))
    text_question = next(q for q in services.questions_of(post) if q.kind.value in ("short_text", "long_text"))
    name = f"q{text_question.id}"
    assert f'<label for="{name}" id="{name}-label"' in page  # the question itself names its field...
    assert f'<legend id="{name}-label"' not in page  # ...once: no group around a single field to say it again
    bad = user.post(url, {})
    assert bad.status_code == 422
    assert 'role="alert"' in text_of(bad) and "回答してください。" in text_of(bad)
    assert db.session.scalar(db.select(db.func.count(SurveyResponse.id))) == 0
    assert user.post(url, full_answers(post)).status_code == 302
    for person in people[1:]:
        assert client_for(person).post(url, full_answers(post)).status_code == 302
    assert "事後アンケート：回答済み" in text_of(user.get("/my/trainings"))
    again = text_of(user.get(url))
    assert "回答済みの内容を表示しています" in again  # the key kept in the browser's session
    secretariat = client_for(make_person(secretariat=True))
    page = text_of(secretariat.get(f"/courses/{course.id}/surveys?session={session.id}"))
    assert '<svg role="img"' in page and "<table" in page and "意識の変化" in page
    export = secretariat.get(f"/surveys/{post.id}/responses.csv")
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert export.headers["Cache-Control"] == "no-store"
    assert len(list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))) == 4


def test_foreign_surveys_are_refused(client_for, course, make_person):
    person = make_person("草加市")
    session = ended_session(course, [person])
    outsider = client_for(make_person("越谷市"))
    post = questionnaire(course, SurveyKind.post)
    assert outsider.get(f"/surveys/{post.id}/sessions/{session.id}").status_code == 403
    assert outsider.post(f"/surveys/{post.id}/sessions/{session.id}", full_answers(post)).status_code == 403
    assert outsider.get(f"/surveys/999/sessions/{session.id}").status_code == 404
    coordinator = client_for(make_person("越谷市", coordinator=True))
    assert coordinator.get(f"/courses/{course.id}/surveys?municipality={person.municipality_id}").status_code == 403


def test_two_submissions_at_once_make_one_response(app, course, make_person):
    person = make_person("草加市")
    session = ended_session(course, [person])
    post = questionnaire(course, SurveyKind.post)
    app.config["TEST_RACE_DELAY"] = 0.05
    person_id, session_id, q_id = person.id, session.id, post.id
    outcomes = []

    def submit():
        from dxtraining.people.models import Person
        from dxtraining.sessions.models import TrainingSession

        with app.app_context():
            try:
                q = services.load_questionnaire(q_id)
                outcomes.append(
                    services.submit(
                        db.session.get(Person, person_id),
                        q,
                        db.session.get(TrainingSession, session_id),
                        full_answers(q),
                    )
                )
            except Exception as error:  # collected below
                outcomes.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(SurveyResponse.id))) == 1
    assert sum(isinstance(o, services.SurveyRefused) for o in outcomes) == 1


def test_the_response_rate_counts_everyone_asked_even_before_the_invitations_go_out(course, make_person):
    people = [make_person("草加市") for _ in range(3)] + [make_person("越谷市")]
    session = ended_session(course, people)
    absent = make_person("草加市")
    enrollment.apply(absent, session.id)  # confirmed but not attended: the post-training survey does not ask them
    post = questionnaire(course, SurveyKind.post)
    post.anonymous = False  # named: coordinators see who has not answered
    db.session.commit()
    services.submit(people[0], post, session, full_answers(post))
    db.session.commit()
    assert services.response_rates(post, session.id) == [("草加市", 3, 1), ("越谷市", 1, 0)]
    assert services.response_rates(post, session.id, people[3].municipality_id, "en") == [("Koshigaya City", 1, 0)]
    missing = services.non_respondents(post, session.id, people[0].municipality_id)
    assert sorted(p.id for p in missing) == sorted(p.id for p in people[1:3])  # not the absent one, not the answerer
    later = make_session(course, capacity=50)  # its survey has not opened: nobody there is missing yet
    enrollment.apply(make_person("草加市"), later.id).attendance = Attendance.attended
    db.session.commit()
    assert services.response_rates(post, None) == [("草加市", 3, 1), ("越谷市", 1, 0)]
