"""The secretariat plans through the pages: sessions, agenda, curriculum, course limits, instructors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dxtraining.audit.models import AuditEntry
from dxtraining.courses.models import CourseRankLimit, CurriculumModule
from dxtraining.courses.seed import load_course
from dxtraining.courses.services import curriculum_tree, flatten
from dxtraining.enrollment import services as enrollment
from dxtraining.extensions import db
from dxtraining.i18n.dates import TOKYO
from dxtraining.notifications.models import Message
from dxtraining.people.models import Rank
from dxtraining.sessions.models import AgendaBlock, Instructor, InstructorCriterion, TrainingSession
from dxtraining.sessions.services import ValidationFailed, cancel_session
from tests.conftest import text_of
from tests.planning_helpers import make_session, session_form


def sessions_count() -> int:
    return db.session.scalar(db.select(db.func.count(TrainingSession.id)))


def test_secretariat_schedules_a_session_in_japan_time(secretariat, municipalities):
    course = load_course()
    response = secretariat.post(f"/courses/{course.id}/sessions/new", session_form(municipalities))
    assert response.status_code == 302, text_of(response)
    session = db.session.scalar(db.select(TrainingSession))
    start = session.days[0].starts_at.astimezone(TOKYO)
    assert (start.hour, start.minute) == (13, 30)
    assert sum(q.seats for q in session.quotas) == 30


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"capacity": "20"}, "定員（20人）を超えています"),
        ({"days-0-end": "12:00"}, "終了時刻は開始時刻より後にしてください。"),
        ({"format": "online", "online_url": "not a url"}, "https://"),
        ({"format": "in_person", "online_url": "not a url"}, "https://"),  # kept for a later switch online
        ({"days-0-date": ""}, "日付・開始・終了をすべて入力してください。"),
        ({"days-0-date": "", "days-0-start": "", "days-0-end": ""}, "開催日を1日以上入力してください。"),
        ({"capacity": "abc"}, "整数で入力してください（例：30）。"),
        ({"days-0-date": "2027-02-30"}, "正しい日付を入力してください"),
    ],
)
def test_a_bad_session_form_says_what_is_wrong_and_saves_nothing(secretariat, municipalities, override, message):
    course = load_course()
    response = secretariat.post(f"/courses/{course.id}/sessions/new", session_form(municipalities, **override))
    assert response.status_code == 422
    assert message in text_of(response)
    assert sessions_count() == 0


def test_one_date_is_one_day_of_a_session(secretariat, municipalities):
    form = session_form(municipalities)
    form.update({"days-1-date": form["days-0-date"], "days-1-start": "17:00", "days-1-end": "18:00"})
    response = secretariat.post(f"/courses/{load_course().id}/sessions/new", form)
    assert response.status_code == 422 and "同じ日付が2回入力されています" in text_of(response)
    assert 'href="#days-0-date"' in text_of(response)  # the summary links to the field
    assert sessions_count() == 0


def test_editing_the_place_raises_the_revision_and_tells_participants(secretariat, municipalities, make_person):
    session = make_session()
    form = session_form(municipalities, venue_name="草加市役所")
    form.pop("capacity")
    person = make_person("草加市")
    enrollment.apply(person, session.id)
    response = secretariat.post(f"/sessions/{session.id}/edit", form)
    assert response.status_code == 302, text_of(response)
    db.session.refresh(session)
    assert session.venue_name == "草加市役所" and session.revision == 1
    changed = db.session.scalars(db.select(Message.person_id).where(Message.kind == "session_changed")).all()
    assert changed == [person.id]


def test_the_edit_page_keeps_the_format_and_the_log_says_what_changed(secretariat, municipalities):
    session = make_session()  # in person
    page = text_of(secretariat.get(f"/sessions/{session.id}/edit"))
    assert 'name="format"' not in page and f"/sessions/{session.id}/format" in page  # switched on its own page
    form = session_form(
        municipalities, format="online", online_url="https://meet.example.jp/x", venue_name="草加市役所"
    )
    form.pop("capacity")
    assert secretariat.post(f"/sessions/{session.id}/edit", form).status_code == 302
    db.session.refresh(session)
    assert session.format.value == "in_person" and session.venue_name == "草加市役所"
    log = text_of(secretariat.get("/admin/audit?action=session.updated"))
    assert "会場名：草加市役所" in log and "開催日時：令和" in log and "申込締切：令和" in log
    assert "形式" not in log.split("<tbody>")[1]  # the format did not change
    again = secretariat.post(f"/sessions/{session.id}/edit", form)  # the same values once more: nothing to record
    assert again.status_code == 302
    updates = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "session.updated")).all()
    assert len(updates) == 1 and "format" not in updates[0].after


def test_sending_the_edit_form_back_unchanged_records_nothing(secretariat):
    session = make_session()
    session.applications_open_at = session.applications_open_at.replace(second=42)  # stored with seconds
    db.session.commit()
    local = lambda moment: moment.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")  # noqa: E731 (as the form shows it)
    day = session.days[0]
    form = {
        "title": session.title,
        "enrollment_mode": session.enrollment_mode.value,
        "days-0-date": day.starts_at.astimezone(TOKYO).date().isoformat(),
        "days-0-start": day.starts_at.astimezone(TOKYO).strftime("%H:%M"),
        "days-0-end": day.ends_at.astimezone(TOKYO).strftime("%H:%M"),
        "venue_name": session.venue_name,
        **{name: local(getattr(session, name)) for name in ("applications_open_at", "applications_close_at")},
        **{name: local(getattr(session, name)) for name in ("cancellation_deadline", "release_at")},
    }
    assert secretariat.post(f"/sessions/{session.id}/edit", form).status_code == 302
    assert db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "session.updated")).all() == []
    db.session.refresh(session)
    assert session.applications_open_at.second == 42 and session.revision == 0


def test_a_session_that_has_begun_is_not_cancelled(secretariat):
    from datetime import UTC, datetime

    from dxtraining.sessions.models import SessionDay

    session = make_session()
    day = session.days[0]
    day.starts_at, day.ends_at = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=2)
    db.session.commit()
    assert f"/sessions/{session.id}/cancel" not in text_of(secretariat.get(f"/sessions/{session.id}"))
    refused = secretariat.post(f"/sessions/{session.id}/cancel", {"reason": "台風"}, follow_redirects=True)
    assert "開始した開催回は中止できません。" in text_of(refused)
    with pytest.raises(ValidationFailed, match="開始した開催回"):
        cancel_session(session, "台風")  # the rule is the service's, whatever calls it
    db.session.refresh(session)
    assert session.cancelled_at is None and db.session.get(SessionDay, day.id) is not None


def test_cancelling_a_session_tells_everyone(secretariat, make_person, municipalities):
    session = make_session()
    person = make_person("草加市")
    enrollment.apply(person, session.id)
    assert secretariat.post(f"/sessions/{session.id}/cancel", {"reason": ""}).status_code == 422
    assert secretariat.post(f"/sessions/{session.id}/cancel", {"reason": "台風接近のため"}).status_code == 302
    db.session.refresh(session)
    assert session.is_cancelled
    assert "session_cancelled" in db.session.scalars(db.select(Message.kind)).all()


def test_a_cancelled_session_is_not_edited_or_switched_and_nobody_is_told_of_changes(
    secretariat, make_person, municipalities
):
    session = make_session()
    enrollment.apply(make_person("草加市"), session.id)
    blank = secretariat.post(f"/sessions/{session.id}/cancel", {"reason": " \u3000 "})
    assert blank.status_code == 422 and 'id="reason-error"' in blank.get_data(as_text=True)
    assert secretariat.post(f"/sessions/{session.id}/cancel", {"reason": "台風接近のため"}).status_code == 302
    form = session_form(municipalities, venue_name="別の会場")
    form.pop("capacity")
    day = session.days[0]
    block = {"day_id": day.id, "start": "13:30", "end": "14:00", "title": "講義", "instructor_id": "0"}
    for url, data in (
        (f"/sessions/{session.id}/edit", form),
        (f"/sessions/{session.id}/format", {"format": "online", "online_url": "https://example.jp/m", "reason": "x"}),
        (f"/sessions/{session.id}/agenda", block),
    ):
        assert secretariat.get(url).status_code == 302, url
        refused = secretariat.post(url, data, follow_redirects=True)
        assert "この開催回は中止されています" in text_of(refused), url
    db.session.refresh(session)
    assert session.venue_name != "別の会場" and session.format.value == "in_person"
    assert db.session.scalar(db.select(db.func.count(AgendaBlock.id))) == 0
    kinds = db.session.scalars(db.select(Message.kind)).all()
    assert "session_cancelled" in kinds and "session_changed" not in kinds and "session_format_changed" not in kinds
    page = text_of(secretariat.get(f"/sessions/{session.id}"))
    assert "開催回を編集" not in page and "開催形式を切り替える" not in page


def test_a_session_title_of_only_spaces_is_refused(secretariat, municipalities):
    course = load_course()
    response = secretariat.post(f"/courses/{course.id}/sessions/new", session_form(municipalities, title="\u3000 "))
    assert response.status_code == 422 and 'id="title-error"' in response.get_data(as_text=True)
    assert sessions_count() == 0


def test_agenda_blocks_through_the_page(secretariat, make_person):
    session = make_session()
    course = session.course
    criteria = db.session.scalars(db.select(InstructorCriterion)).all()
    unreviewed = Instructor(name="未確認 講師")
    db.session.add(unreviewed)
    db.session.commit()
    basics = curriculum_tree(course)[0].module
    day = session.days[0]
    page = text_of(secretariat.get(f"/sessions/{session.id}/agenda"))
    assert f'<option value="{day.id}">令和' in page  # the day as the pages write it, not 2027-01-25
    start = day.starts_at.astimezone(TOKYO)
    form = {
        "day_id": day.id,
        "start": start.strftime("%H:%M"),
        "end": (start + timedelta(hours=1)).strftime("%H:%M"),
        "title": "講義",
        "modules": [basics.id],
        "instructor_id": unreviewed.id,
        "unqualified_reason": "",
    }
    refused = secretariat.post(f"/sessions/{session.id}/agenda", form)
    assert refused.status_code == 422 and "選定基準" in text_of(refused)
    assert len(criteria) == 2
    ok = secretariat.post(f"/sessions/{session.id}/agenda", {**form, "unqualified_reason": "日程の都合"})
    assert ok.status_code == 302
    overlap = secretariat.post(f"/sessions/{session.id}/agenda", {**form, "instructor_id": 0, "title": "重複"})
    assert overlap.status_code == 422 and "重なっています" in text_of(overlap)
    assert db.session.scalar(db.select(db.func.count(AgendaBlock.id))) == 1


def test_curriculum_is_edited_and_renumbered_through_the_page(secretariat):
    course = load_course()
    government = curriculum_tree(course)[1].module
    assert secretariat.post(f"/curriculum/{government.id}/move", {"direction": "up"}).status_code == 302
    labels = [n.label for n in flatten(curriculum_tree(course))]
    assert labels[0] == "(1) 行政におけるDX"
    secretariat.post(f"/courses/{course.id}/curriculum", {"parent_id": government.id, "title": "生成AIの活用"})
    assert "⑥ 生成AIの活用" in [n.label for n in flatten(curriculum_tree(course))]
    secretariat.post(f"/curriculum/{government.id}/edit", {"title": "自治体行政とDX", "description": ""})
    db.session.refresh(government)
    assert government.title == "自治体行政とDX"
    bad = secretariat.post(f"/curriculum/{government.id}/edit", {"title": ""})
    assert bad.status_code == 302
    db.session.refresh(government)
    assert government.title == "自治体行政とDX"
    secretariat.post(f"/curriculum/{government.id}/delete")
    assert db.session.get(CurriculumModule, government.id) is None
    assert [n.label for n in flatten(curriculum_tree(course))][0] == "(1) DXの基礎知識"


def test_deleting_a_curriculum_item_asks_first_and_says_what_it_unlinks(secretariat):
    session = make_session()
    tree = curriculum_tree(session.course)
    basics, child = tree[0].module, tree[0].children[0].module
    day = session.days[0]
    block = AgendaBlock(day_id=day.id, starts_at=day.starts_at, ends_at=day.ends_at, title="講義", modules=[child])
    db.session.add(block)
    db.session.commit()
    page = text_of(secretariat.get(f"/courses/{session.course_id}/curriculum"))
    own = page[page.index(f'id="module-{basics.id}"') :]
    own = own[: own.index("</li>")]
    assert '<details class="confirm">' in own and "削除を確定する" in own
    assert "時間割1件" in own  # the item under it is on an agenda


def test_a_municipality_limit_set_on_the_course_page_governs_eligibility(secretariat, municipalities, make_person):
    course = load_course()
    session = make_session(course)
    unit_chief = db.session.scalar(db.select(Rank).where(Rank.code == "unit_chief"))
    form = {
        "title": course.title,
        "max_rank_id": course.max_rank_id,
        "default_capacity": 30,
        "default_quota": 5,
        f"limit_{municipalities['八潮市'].id}": unit_chief.id,
    }
    form.update({f"limit_{m.id}": 0 for name, m in municipalities.items() if name != "八潮市"})
    assert secretariat.post(f"/courses/{course.id}/edit", form).status_code == 302
    assert db.session.scalar(db.select(CourseRankLimit.max_rank_id)) == unit_chief.id
    with pytest.raises(enrollment.EnrollmentRefused, match="係長級以下"):
        enrollment.apply(make_person("八潮市", rank="assistant_chief"), session.id)


def test_instructors_are_registered_and_assessed(secretariat):
    load_course()
    response = secretariat.post("/instructors", {"name": "新 講師", "affiliation": "大学教授"})
    assert response.status_code == 302
    instructor = db.session.scalar(db.select(Instructor))
    criterion = db.session.scalars(db.select(InstructorCriterion)).first()
    no_evidence = secretariat.post(f"/instructors/{instructor.id}", {"criterion_id": criterion.id, "met": "y"})
    assert no_evidence.status_code == 422
    secretariat.post(
        f"/instructors/{instructor.id}", {"criterion_id": criterion.id, "met": "y", "evidence": "DX関連の著書"}
    )
    db.session.refresh(instructor)
    assert [a.met for a in instructor.assessments] == [True]
    log = text_of(secretariat.get("/admin/audit?action=instructor.assessed"))
    assert f"選定基準の項目：{criterion.title}" in log and criterion.code not in log


def test_only_the_secretariat_reaches_planning_pages(client_for, make_person):
    session = make_session()
    for person in (make_person(), make_person(coordinator=True)):
        user = client_for(person)
        for url in (
            f"/courses/{session.course_id}/sessions/new",
            f"/sessions/{session.id}/edit",
            f"/sessions/{session.id}/agenda",
            f"/sessions/{session.id}/cancel",
            "/instructors",
            f"/courses/{session.course_id}/edit",
            f"/courses/{session.course_id}/curriculum",
        ):
            assert user.get(url).status_code == 403, url


def test_criteria_are_editable_per_course(secretariat):
    course = load_course()
    criterion = db.session.scalars(db.select(InstructorCriterion)).first()
    assert (
        secretariat.post(
            f"/criteria/{criterion.id}/edit", {"edit-title": "DXの実務経験がある", "edit-description": ""}
        ).status_code
        == 302
    )
    db.session.refresh(criterion)
    assert criterion.title == "DXの実務経験がある"
    secretariat.post(f"/courses/{course.id}/criteria", {"title": "受講者と対話できる", "description": ""})
    titles = db.session.scalars(db.select(InstructorCriterion.title).order_by(InstructorCriterion.position)).all()
    assert titles[-1] == "受講者と対話できる" and len(titles) == 3


def test_case_studies_are_added_and_linked_to_modules(secretariat, municipalities):
    from dxtraining.courses.models import CaseStudy

    course = load_course()
    module = curriculum_tree(course)[2].module  # (3) 他自治体の事例
    response = secretariat.post(
        "/case-studies",
        {
            "municipality_id": municipalities["三郷市"].id,
            "title": "オンライン申請の拡大",
            "period": "令和5年度",
            "modules": [module.id],
        },
    )
    assert response.status_code == 302
    study = db.session.scalar(db.select(CaseStudy).where(CaseStudy.title == "オンライン申請の拡大"))
    assert [m.id for m in study.modules] == [module.id]
    missing = secretariat.post("/case-studies", {"municipality_id": municipalities["三郷市"].id, "title": ""})
    assert missing.status_code == 422
