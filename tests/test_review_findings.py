"""Defects a second reader found, each pinned by the story that exposed it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dxtraining.courses.seed import load_course
from dxtraining.database import utcnow
from dxtraining.enrollment import services as enrollment
from dxtraining.enrollment.models import Attendance, Enrollment, EnrollmentStatus
from dxtraining.extensions import db
from dxtraining.sessions.models import AgendaBlock
from dxtraining.sessions.services import BlockPlan, add_block, save_session
from dxtraining.surveys import services as surveys
from dxtraining.surveys.models import SurveyKind, SurveyResponse
from dxtraining.surveys.seed import load_questionnaires
from tests.conftest import text_of
from tests.planning_helpers import make_session, plan_for
from tests.test_surveys import full_answers, questionnaire


def test_the_next_person_on_a_shared_browser_never_gets_the_previous_persons_anonymous_answers(anonymous, make_person):
    course = load_course()
    load_questionnaires(course)
    session = make_session(course, capacity=40)
    first, second = make_person("草加市"), make_person("草加市")
    for person in (first, second):
        enrollment.apply(person, session.id)
    pre = questionnaire(course, SurveyKind.pre)
    url = f"/surveys/{pre.id}/sessions/{session.id}"
    anonymous.signin(first)
    assert anonymous.post(url, full_answers(pre, rating=1)).status_code == 302
    anonymous.post("/signout")
    anonymous.signin(second)
    page = text_of(anonymous.get(url))
    assert "回答済みの内容を表示しています" not in page
    assert anonymous.post(url, full_answers(pre, rating=5)).status_code == 302
    assert db.session.scalar(db.select(db.func.count(SurveyResponse.id))) == 2


def test_a_new_applicant_joins_the_end_of_a_reordered_waiting_list(municipalities, make_person):
    session = make_session(capacity=1, quotas={municipalities["草加市"].id: 1})
    enrollment.apply(make_person("草加市"), session.id)
    a, b, c = (enrollment.apply(make_person("草加市"), session.id) for _ in range(3))
    enrollment.move_in_line(c.id, session.id, make_person("草加市", coordinator=True), -1, "業務上の必要")
    late = enrollment.apply(make_person("草加市"), session.id)
    line = [e.id for e in enrollment.waiting_line(session.id, municipalities["草加市"].id)]
    assert line == [a.id, c.id, b.id, late.id]


def test_nobody_is_promoted_into_a_session_that_has_begun(municipalities, make_person):
    session = make_session(capacity=1, quotas={municipalities["草加市"].id: 1})
    holder = make_person("草加市")
    held = enrollment.apply(holder, session.id)
    waiting = enrollment.apply(make_person("草加市"), session.id)
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() - timedelta(hours=2), utcnow() + timedelta(hours=1)
    db.session.commit()
    with pytest.raises(enrollment.EnrollmentRefused, match="開始した研修"):  # absence is recorded as attendance
        enrollment.cancel(held.id, session.id, make_person("草加市", coordinator=True), "当日欠席")
    secretariat = make_person(secretariat=True)
    enrollment.set_capacity_and_quotas(session.id, secretariat, 2, {municipalities["草加市"].id: 2}, "増席")
    db.session.refresh(waiting)
    assert waiting.status == EnrollmentStatus.waiting


def test_moving_a_day_moves_its_agenda(municipalities):
    course = load_course()
    session = make_session(course)
    day = session.days[0]
    add_block(BlockPlan(day, day.starts_at, day.starts_at + timedelta(hours=1), "講義", []), course)
    db.session.commit()
    plan = plan_for(course)
    plan.days[0].starts_at = day.starts_at + timedelta(days=1)
    plan.days[0].ends_at = day.ends_at + timedelta(days=1)
    save_session(course, plan, session)
    db.session.commit()
    block = db.session.scalar(db.select(AgendaBlock))
    assert block.starts_at == session.days[0].starts_at


def test_survey_exports_leave_out_groups_too_small_to_hide_anyone(make_person):
    course = load_course()
    load_questionnaires(course)
    big = make_session(course, capacity=40)
    small = make_session(course, capacity=40)
    post = questionnaire(course, SurveyKind.post)
    people = [make_person("草加市") for _ in range(4)]
    for session, group in ((big, people[:3]), (small, people[3:])):
        for person in group:
            enrollment.apply(person, session.id)
        day = session.days[0]
        day.starts_at, day.ends_at = utcnow() - timedelta(hours=5), utcnow() - timedelta(hours=2)
    for e in db.session.scalars(db.select(Enrollment)):
        e.attendance = Attendance.attended
    db.session.commit()
    for session, group in ((big, people[:3]), (small, people[3:])):
        for person in group:
            data = full_answers(post)
            data[f"q{surveys.questions_of(post)[-1].id}"] = "LONELY-OPINION" if session is small else "ok"
            surveys.submit(person, post, session, data)
    rows = surveys.export_rows(post, surveys.Filters(municipality_id=people[0].municipality_id))
    assert len(rows) == 4
    assert not any("LONELY-OPINION" in str(cell) for row in rows for cell in row)


def test_coordinators_see_only_their_own_municipalitys_results(client_for, make_person):
    course = load_course()
    load_questionnaires(course)
    coordinator = client_for(make_person("越谷市", coordinator=True))
    page = text_of(coordinator.get(f"/courses/{course.id}/surveys"))
    assert "市町別の変化" not in page  # their own municipality's change is the one table they see
    secretariat = client_for(make_person(secretariat=True))
    assert "松伏町" in text_of(secretariat.get(f"/courses/{course.id}/surveys")).split("市町別の変化")[1]


def test_the_anonymity_of_a_questionnaire_cannot_change_once_answered(client_for, make_person):
    course = load_course()
    load_questionnaires(course)
    session = make_session(course, capacity=40)
    person = make_person("草加市")
    enrollment.apply(person, session.id)
    pre = questionnaire(course, SurveyKind.pre)
    surveys.submit(person, pre, session, full_answers(pre))
    secretariat = client_for(make_person(secretariat=True))
    response = secretariat.post(
        f"/questionnaires/{pre.id}",
        {"title": pre.title, "anonymous": "", "open_days": "14", "remind_days_before_close": "3"},
    )
    assert response.status_code == 422 and "匿名・記名の設定を変えられません" in text_of(response)
    assert 'id="anonymous-error"' in text_of(response)  # beside the checkbox, which points at it
    db.session.refresh(pre)
    assert pre.anonymous


def test_calendar_files_are_the_same_bytes_when_nothing_changed(client_for, make_person, municipalities):
    session = make_session()
    user = client_for(make_person())
    first = user.get(f"/sessions/{session.id}/calendar.ics")
    assert b"DTSTAMP:" + session.updated_at.strftime("%Y%m%dT%H%M%SZ").encode() in first.data
    again = user.get(f"/sessions/{session.id}/calendar.ics")
    assert first.headers["ETag"] == again.headers["ETag"]
