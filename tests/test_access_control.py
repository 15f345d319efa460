"""Every route, every role: the expected answer for each, read from the URL map so that a new route
without an entry fails here. Personal data of municipality B never reaches A's pages or exports."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest

from dxtraining.calendars.services import ensure_token
from dxtraining.courses.seed import load_course
from dxtraining.courses.services import curriculum_tree
from dxtraining.enrollment import services as enrollment
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.notifications.services import notify
from dxtraining.sessions.models import AgendaBlock, Instructor
from dxtraining.surveys.models import SurveyKind
from dxtraining.surveys.seed import load_questionnaires
from dxtraining.surveys.services import questionnaire_for
from tests.conftest import UserClient, text_of
from tests.planning_helpers import make_session

ROLES = ("anonymous", "employee_a", "coordinator_a", "coordinator_b", "secretariat")
R = "signin"  # redirected to the sign-in page
OK = "ok"  # any answer below 400 (the action is allowed)
SECRETARIAT_ONLY = (R, 403, 403, 403, 200)
SIGNED_IN = (R, 200, 200, 200, 200)
OWN_MUNICIPALITY = (R, 403, 200, 403, 200)
EVERYONE = (200, 200, 200, 200, 200)

# GET: endpoint → (url template, expected answer per role)
GET = {
    "audit.log": ("/admin/audit", SECRETARIAT_ONLY),
    "auth.accept_invitation": ("/invitation/forged-token", (404,) * 5),
    "auth.confirm_email": ("/confirm/forged-token", (404,) * 5),
    "auth.reset_password": ("/reset/forged-token", (404,) * 5),
    "auth.reset_request": ("/reset", EVERYONE),
    "auth.signin": ("/signin", (200, 302, 302, 302, 302)),
    "auth.signup": ("/signup", EVERYONE),
    "calendars.course_feed": ("/courses/{course}/calendar.ics", SIGNED_IN),
    "calendars.municipality_feed": ("/calendar/{coordinator_token}/municipality.ics", EVERYONE),
    "calendars.personal_feed": ("/calendar/{employee_token}.ics", EVERYONE),
    "calendars.session_file": ("/sessions/{session}/calendar.ics", SIGNED_IN),
    "calendars.subscribe": ("/my/calendar", SIGNED_IN),
    "course_admin.curriculum": ("/courses/{course}/curriculum", SECRETARIAT_ONLY),
    "course_admin.edit": ("/courses/{course}/edit", SECRETARIAT_ONLY),
    "courses.catalog": ("/courses", SIGNED_IN),
    "courses.detail": ("/courses/{course}", SIGNED_IN),
    "enrollment.attendance": ("/sessions/{session}/attendance/112216", OWN_MUNICIPALITY),
    "enrollment.export": ("/sessions/{session}/roster.csv?municipality=112216", OWN_MUNICIPALITY),
    "enrollment.manage": ("/sessions/{session}/manage/112216", OWN_MUNICIPALITY),
    "enrollment.mine": ("/my/trainings", SIGNED_IN),
    "main.healthz": ("/healthz", EVERYONE),
    "main.index": ("/", EVERYONE),
    "notifications.outbox": ("/admin/messages", SECRETARIAT_ONLY),
    "people.municipality_list": ("/municipalities", SECRETARIAT_ONLY),
    "people.profile": ("/profile", SIGNED_IN),
    "people.staff": ("/municipalities/112216/staff", OWN_MUNICIPALITY),
    "session_admin.agenda": ("/sessions/{session}/agenda", SECRETARIAT_ONLY),
    "session_admin.cancel": ("/sessions/{session}/cancel", SECRETARIAT_ONLY),
    "session_admin.edit": ("/sessions/{session}/edit", SECRETARIAT_ONLY),
    "session_admin.instructor": ("/instructors/{instructor}", SECRETARIAT_ONLY),
    "session_admin.instructors": ("/instructors", SECRETARIAT_ONLY),
    "session_admin.message": ("/sessions/{session}/message", SECRETARIAT_ONLY),
    "session_admin.new": ("/courses/{course}/sessions/new", SECRETARIAT_ONLY),
    "sessions.copy": ("/sessions/{session}/copy", SECRETARIAT_ONLY),
    "sessions.detail": ("/sessions/{session}", SIGNED_IN),
    "sessions.switch": ("/sessions/{session}/format", SECRETARIAT_ONLY),
    "static": ("/static/css/app.css", EVERYONE),
    "surveys.answer": ("/surveys/{pre}/sessions/{session}", (R, 200, 403, 403, 403)),
    "surveys.export": ("/surveys/{pre}/responses.csv", (R, 403, 200, 200, 200)),
    "surveys.results": ("/courses/{course}/surveys", (R, 403, 200, 200, 200)),
    "survey_admin.edit": ("/questionnaires/{pre}", SECRETARIAT_ONLY),
    "course_admin.criteria": ("/courses/{course}/criteria", SECRETARIAT_ONLY),
    "course_admin.case_studies": ("/case-studies", SECRETARIAT_ONLY),
    "course_admin.case_study": ("/case-studies/{case_study}", SECRETARIAT_ONLY),
}

# POST-only: endpoint → (url template, expected per role). Allowed cells are not exercised here (they
# change data); their behaviour is tested in each feature's tests.
POST = {
    "auth.signout": ("/signout", (R, OK, OK, OK, OK)),
    "calendars.reset": ("/my/calendar/reset", (R, OK, OK, OK, OK)),
    "course_admin.delete": ("/curriculum/{module}/delete", (R, 403, 403, 403, OK)),
    "course_admin.move": ("/curriculum/{module}/move", (R, 403, 403, 403, OK)),
    "course_admin.rename": ("/curriculum/{module}/edit", (R, 403, 403, 403, OK)),
    "enrollment.apply": ("/sessions/{session}/apply", (R, OK, OK, OK, OK)),
    "enrollment.cancel": ("/enrollments/{enrollment_a}/cancel", (R, OK, OK, 403, OK)),
    "enrollment.decide": ("/enrollments/{enrollment_a}/decide", (R, 403, OK, 403, OK)),
    "enrollment.give": ("/sessions/{session}/manage/112216/give", (R, 403, OK, 403, OK)),
    "enrollment.move": ("/enrollments/{enrollment_a}/move", (R, 403, OK, 403, OK)),
    "enrollment.nominate": ("/sessions/{session}/manage/112216/nominate", (R, 403, OK, 403, OK)),
    "enrollment.seats": ("/sessions/{session}/seats", (R, 403, 403, 403, OK)),
    "main.switch_language": ("/language", (OK,) * 5),
    "notifications.retry_message": ("/admin/messages/{message}/retry", (R, 403, 403, 403, OK)),
    "people.staff_import": ("/municipalities/112216/staff/import", (R, 403, OK, 403, OK)),
    "session_admin.delete_block": ("/agenda-blocks/{block}/delete", (R, 403, 403, 403, OK)),
    "session_admin.instructor_profile": ("/instructors/{instructor}/profile", (R, 403, 403, 403, OK)),
    "course_admin.edit_criterion": ("/criteria/{criterion}/edit", (R, 403, 403, 403, OK)),
    "survey_admin.add_section": ("/questionnaires/{pre}/sections", (R, 403, 403, 403, OK)),
    "survey_admin.add_question": ("/questionnaires/{pre}/questions", (R, 403, 403, 403, OK)),
    "survey_admin.edit_question": ("/questions/{question}/edit", (R, 403, 403, 403, OK)),
    "survey_admin.move_question": ("/questions/{question}/move", (R, 403, 403, 403, OK)),
    "survey_admin.delete_question": ("/questions/{question}/delete", (R, 403, 403, 403, OK)),
    "survey_admin.edit_section": ("/sections/{section}/edit", (R, 403, 403, 403, OK)),
    "survey_admin.move_section": ("/sections/{section}/move", (R, 403, 403, 403, OK)),
    "survey_admin.delete_section": ("/sections/{section}/delete", (R, 403, 403, 403, OK)),
}


@dataclass
class World:
    ids: dict[str, object]
    clients: dict[str, UserClient]
    secret_of_b: str


@pytest.fixture
def world(app, anonymous, client_for, make_person):
    course = load_course()
    load_questionnaires(course)
    session = make_session(course)
    employee_a = make_person("草加市", name="草加 職員")
    employee_b = make_person("越谷市", name="越谷 秘匿子", email="hidden.b@city.koshigaya.saitama.jp")
    enrollment_a = enrollment.apply(employee_a, session.id)
    enrollment.apply(employee_b, session.id)
    coordinator_a = make_person("草加市", coordinator=True)
    coordinator_b = make_person("越谷市", coordinator=True)
    secretariat = make_person("越谷市", secretariat=True)
    instructor = Instructor(name="講師 一")
    db.session.add(instructor)
    db.session.flush()
    day = session.days[0]
    block = AgendaBlock(day_id=day.id, starts_at=day.starts_at, ends_at=day.ends_at, title="講義")
    db.session.add(block)
    message_id = notify(employee_a, "password_reset", {"link": "http://localhost/x"})
    ids = {
        "course": course.id,
        "session": session.id,
        "enrollment_a": enrollment_a.id,
        "module": curriculum_tree(course)[0].module.id,
        "block": None,
        "instructor": instructor.id,
        "employee_token": ensure_token(employee_a),
        "coordinator_token": ensure_token(coordinator_a),
    }
    db.session.commit()
    pre = questionnaire_for(session, SurveyKind.pre)
    from dxtraining.courses.models import CaseStudy
    from dxtraining.sessions.models import InstructorCriterion

    ids.update(
        block=block.id,
        message=message_id,
        pre=pre.id,
        question=pre.sections[0].questions[0].id,
        section=pre.sections[0].id,
        case_study=db.session.scalar(db.select(CaseStudy.id)),
        criterion=db.session.scalar(db.select(InstructorCriterion.id)),
    )
    clients = {"anonymous": anonymous}
    for role, person in (
        ("employee_a", employee_a),
        ("coordinator_a", coordinator_a),
        ("coordinator_b", coordinator_b),
        ("secretariat", secretariat),
    ):
        clients[role] = client_for(person)
    return World(ids, clients, employee_b.email)


def check(response, expected, where: str) -> None:
    headers = response.headers
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), where
    assert headers.get("X-Content-Type-Options") == "nosniff" and headers.get("Referrer-Policy"), where
    status = response.status_code
    if expected == R:
        assert status == 302 and "/signin" in response.headers["Location"], f"{where}: {status}"
    elif expected == OK:
        assert status < 400, f"{where}: {status}"
    else:
        assert status == expected, f"{where}: expected {expected}, got {status}"


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(GET) | set(POST), f"missing: {endpoints - set(GET) - set(POST)}"


def test_every_route_answers_each_role_as_expected(world):
    for template, expected in GET.values():
        url = template.format(**world.ids)
        for role, answer in zip(ROLES, expected, strict=True):
            response = world.clients[role].get(url)
            check(response, answer, f"GET {url} as {role}")
            if role in ("employee_a", "coordinator_a"):
                assert world.secret_of_b not in response.get_data(as_text=True), f"{url} leaked B's data to {role}"
            if response.status_code == 200 and response.mimetype == "text/html":  # labels and links find one field
                ids = Counter(re.findall(r'\sid="([^"]+)"', response.get_data(as_text=True)))
                assert [i for i, n in ids.items() if n > 1] == [], f"{url} as {role}: duplicate ids"
            response.close()
    for template, expected in POST.values():
        url = template.format(**world.ids)
        for role, answer in zip(ROLES, expected, strict=True):
            if answer != OK:
                check(world.clients[role].post(url, {}), answer, f"POST {url} as {role}")


def test_every_post_without_a_csrf_token_is_refused(app, world):
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    for rule in rules:
        template = (POST.get(rule.endpoint) or GET.get(rule.endpoint))[0]
        url = template.format(**world.ids).split("?")[0]
        response = world.clients["secretariat"].post(url, {"anything": "x"}, csrf=False)
        assert response.status_code == 400, f"{url}: {response.status_code}"
    assert db.session.scalar(db.select(db.func.count(Message.id))) >= 1


def test_one_persons_calendar_token_shows_nothing_of_anyone_else(world):
    feed = text_of(world.clients["anonymous"].get(f"/calendar/{world.ids['employee_token']}.ics"))
    assert "越谷 秘匿子" not in feed and world.secret_of_b not in feed
