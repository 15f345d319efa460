"""Employees and coordinators see the plan; only confirmed participants see the meeting link."""

from __future__ import annotations

from dxtraining.courses.models import SessionFormat
from dxtraining.enrollment.models import Enrollment, EnrollmentStatus
from dxtraining.extensions import db
from dxtraining.i18n.dates import format_date
from tests.conftest import text_of
from tests.planning_helpers import make_session

URL = "https://meet.example.jp/dx-secret-room"


def enroll(session, person, status):
    db.session.add(
        Enrollment(session_id=session.id, person_id=person.id, municipality_id=person.municipality_id, status=status)
    )
    db.session.commit()


def test_course_page_shows_the_numbered_curriculum_and_case_studies(client_for, make_person):
    session = make_session()
    page = text_of(client_for(make_person()).get(f"/courses/{session.course_id}"))
    assert "DXの基礎知識" in page and "(1)" in page and "①" in page and "ア" in page
    assert "スマート窓口" in page and "草加市" in page


def test_session_page_shows_days_in_wareki_and_seats_per_municipality(client_for, make_person):
    session = make_session()
    page = text_of(client_for(make_person()).get(f"/sessions/{session.id}"))
    assert format_date(session.days[0].starts_at, "ja") in page
    assert "越谷市役所 本庁舎" in page
    assert page.count('<td class="num">5</td>') >= 6  # quota 5 and 5 left for each municipality


def test_the_online_url_never_appears_to_someone_not_confirmed(client_for, make_person):
    session = make_session(format=SessionFormat.hybrid, online_url=URL, online_platform="Zoom")
    confirmed, waiting, bystander = make_person("草加市"), make_person("草加市"), make_person("八潮市")
    enroll(session, confirmed, EnrollmentStatus.confirmed)
    enroll(session, waiting, EnrollmentStatus.waiting)
    coordinator = make_person("草加市", coordinator=True)
    assert URL in text_of(client_for(confirmed).get(f"/sessions/{session.id}"))
    for person in (waiting, bystander, coordinator):
        assert URL not in text_of(client_for(person).get(f"/sessions/{session.id}"))


def test_secretariat_switches_a_session_online_with_a_reason(client_for, make_person):
    session = make_session()
    confirmed = make_person("三郷市")
    enroll(session, confirmed, EnrollmentStatus.confirmed)
    user = client_for(make_person(secretariat=True))
    refused = user.post(f"/sessions/{session.id}/format", {"format": "online", "online_url": URL, "reason": ""})
    assert refused.status_code == 422 and "入力してください。" in text_of(refused)
    db.session.refresh(session)
    assert session.format == SessionFormat.in_person
    done = user.post(
        f"/sessions/{session.id}/format",
        {"format": "online", "online_url": URL, "online_platform": "Teams", "reason": "感染状況を考慮"},
    )
    assert done.status_code == 302
    db.session.refresh(session)
    assert session.format == SessionFormat.online and session.revision == 1
    assert URL in text_of(client_for(confirmed).get(f"/sessions/{session.id}"))


def test_employees_and_coordinators_cannot_switch_or_copy(client_for, make_person):
    session = make_session()
    for person in (make_person(), make_person(coordinator=True)):
        user = client_for(person)
        assert user.get(f"/sessions/{session.id}/format").status_code == 403
        assert user.post(f"/sessions/{session.id}/copy", {"title": "x"}).status_code == 403


def test_unknown_session_is_404(client_for, make_person):
    assert client_for(make_person()).get("/sessions/999999").status_code == 404
