"""The seat rules, tested without HTTP: eligibility, quotas, the pool, the waiting list, promotion."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dxtraining.audit.models import AuditEntry
from dxtraining.courses.models import CourseRankLimit
from dxtraining.database import locked_transaction, utcnow
from dxtraining.enrollment import services
from dxtraining.enrollment.models import Enrollment, EnrollmentStatus
from dxtraining.enrollment.services import EnrollmentRefused
from dxtraining.extensions import db
from dxtraining.i18n.dates import to_tokyo
from dxtraining.notifications.models import Message
from dxtraining.people.models import Rank
from dxtraining.sessions.models import EnrollmentMode, TrainingSession
from dxtraining.sessions.services import ValidationFailed, cancel_session, save_session
from tests.planning_helpers import make_session, plan_for

S = EnrollmentStatus


def small_session(municipalities, capacity=4, quotas=None, **overrides):
    """By default: 4 seats, 2 for 草加市 and 1 for 越谷市, 1 seat in the shared pool."""
    quotas = quotas if quotas is not None else {"草加市": 2, "越谷市": 1}
    return make_session(capacity=capacity, quotas={municipalities[n].id: q for n, q in quotas.items()}, **overrides)


def statuses(*enrollments) -> list[str]:
    for e in enrollments:
        db.session.refresh(e)
    return [e.status.value for e in enrollments]


def messages_to(person) -> list[str]:
    return list(db.session.scalars(db.select(Message.kind).where(Message.person_id == person.id).order_by(Message.id)))


def test_first_come_within_the_quota_then_the_pool_then_the_waiting_list(municipalities, make_person):
    session = small_session(municipalities)
    soka = [make_person("草加市") for _ in range(4)]
    results = [services.apply(p, session.id) for p in soka]
    # two quota seats, the one pool seat, then the waiting list
    assert statuses(*results) == ["confirmed", "confirmed", "confirmed", "waiting"]
    assert services.waiting_position(results[3]) == 1
    assert messages_to(soka[0]) == ["enrollment_confirmed"] and messages_to(soka[3]) == ["enrollment_waiting"]


def test_a_municipality_never_takes_another_municipalitys_quota_before_release(municipalities, make_person):
    session = small_session(municipalities, capacity=3, quotas={"草加市": 1, "越谷市": 2})  # no pool
    first, second = make_person("草加市"), make_person("草加市")
    assert statuses(services.apply(first, session.id), services.apply(second, session.id)) == ["confirmed", "waiting"]


def test_after_the_release_date_unused_seats_go_to_anyone_waiting_in_order(municipalities, make_person):
    session = small_session(municipalities, capacity=3, quotas={"草加市": 1, "越谷市": 2})
    early, late = make_person("草加市"), make_person("草加市")
    services.apply(make_person("草加市"), session.id)
    waiting = [services.apply(early, session.id), services.apply(late, session.id)]
    assert statuses(*waiting) == ["waiting", "waiting"]
    promoted = services.release_due(now=session.release_at + timedelta(minutes=1))
    db.session.commit()
    assert promoted == 2
    assert statuses(*waiting) == ["confirmed", "confirmed"]
    assert messages_to(early)[-1] == "enrollment_promoted"


def test_cancelling_frees_the_seat_for_the_next_of_the_same_municipality(municipalities, make_person):
    session = small_session(municipalities, capacity=3, quotas={"草加市": 1, "越谷市": 1})  # pool of 1
    koshigaya_waiting = [services.apply(make_person("越谷市"), session.id) for _ in range(3)]
    soka_holder = services.apply(make_person("草加市"), session.id)
    soka_waiting = services.apply(make_person("草加市"), session.id)
    assert statuses(*koshigaya_waiting, soka_holder, soka_waiting) == [
        "confirmed",
        "confirmed",
        "waiting",
        "confirmed",
        "waiting",
    ]
    services.cancel(soka_holder.id, session.id, soka_holder.person)
    # the freed 草加市 quota seat goes to 草加市's waiting person, although 越谷市's applied earlier
    assert statuses(soka_holder, soka_waiting, koshigaya_waiting[2]) == ["cancelled", "confirmed", "waiting"]


def test_rank_above_the_limit_is_refused_in_plain_japanese(municipalities, make_person):
    session = small_session(municipalities)
    director = make_person("草加市", rank="director")
    with pytest.raises(EnrollmentRefused) as refused:
        services.apply(director, session.id)
    assert refused.value.message == "この研修の対象は課長級以下の職員です。"
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 0


def test_a_municipality_may_set_its_own_rank_limit(municipalities, make_person):
    session = small_session(municipalities)
    chief = db.session.scalar(db.select(Rank).where(Rank.code == "unit_chief"))
    db.session.add(
        CourseRankLimit(course_id=session.course_id, municipality_id=municipalities["越谷市"].id, max_rank_id=chief.id)
    )
    db.session.commit()
    with pytest.raises(EnrollmentRefused, match="係長級以下"):
        services.apply(make_person("越谷市", rank="section_chief"), session.id)
    assert services.apply(make_person("草加市", rank="section_chief"), session.id).status == S.confirmed


def test_closed_window_cancelled_session_and_missing_rank_are_refused(municipalities, make_person):
    now = utcnow()
    closed = small_session(
        municipalities, applications_open_at=now - timedelta(days=5), applications_close_at=now - timedelta(days=1)
    )
    with pytest.raises(EnrollmentRefused, match="終了しました"):
        services.apply(make_person("草加市"), closed.id)
    cancelled = small_session(municipalities)
    cancel_session(cancelled, "講師の急病")
    db.session.commit()
    with pytest.raises(EnrollmentRefused, match="中止"):
        services.apply(make_person("草加市"), cancelled.id)
    with pytest.raises(EnrollmentRefused, match="職層が登録されていません"):
        services.apply(make_person("草加市", rank=None), small_session(municipalities).id)
    with pytest.raises(EnrollmentRefused, match="見つかりません"):
        services.apply(make_person("草加市"), 999999)


def test_applying_twice_is_refused_and_the_database_backs_it(municipalities, make_person):
    session = small_session(municipalities)
    person = make_person("草加市")
    services.apply(person, session.id)
    with pytest.raises(EnrollmentRefused, match="すでに申し込んでいます"):
        services.apply(person, session.id)
    db.session.add(
        Enrollment(session_id=session.id, person_id=person.id, municipality_id=person.municipality_id, status=S.pending)
    )
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 1


def test_approval_mode_waits_for_the_coordinator(municipalities, make_person):
    session = small_session(municipalities, enrollment_mode=EnrollmentMode.approval)
    coordinator = make_person("草加市", coordinator=True)
    other_coordinator = make_person("越谷市", coordinator=True)
    a, b = services.apply(make_person("草加市"), session.id), services.apply(make_person("草加市"), session.id)
    assert statuses(a, b) == ["pending", "pending"]
    with pytest.raises(EnrollmentRefused, match="他の市町"):
        services.decide(a.id, session.id, other_coordinator, approve=True)
    services.decide(a.id, session.id, coordinator, approve=True, comment="業務に必要")
    services.decide(b.id, session.id, coordinator, approve=False, comment="今回は見送り")
    assert statuses(a, b) == ["confirmed", "declined"]
    assert messages_to(b.person) == ["enrollment_pending", "enrollment_declined"]
    with pytest.raises(EnrollmentRefused, match="すでに処理"):
        services.decide(b.id, session.id, coordinator, approve=True)
    with pytest.raises(EnrollmentRefused, match="見送りになりました。詳しくは所属の研修担当者"):
        services.apply(b.person, session.id)  # a declined person is told whom to ask, not "already applied"


def test_a_decision_names_the_session_it_locks_and_an_application_of_another_session_is_refused(
    municipalities, make_person
):
    """The seat lock is taken on the session named in the request: an application of another session
    (a forged or stale form) must not be decided under the wrong lock."""
    first = small_session(municipalities, enrollment_mode=EnrollmentMode.approval)
    second = small_session(municipalities, enrollment_mode=EnrollmentMode.approval)
    coordinator = make_person("草加市", coordinator=True)
    pending = services.apply(make_person("草加市"), first.id)
    with pytest.raises(EnrollmentRefused, match="申込が見つかりません"):
        services.decide(pending.id, second.id, coordinator, approve=True)
    with pytest.raises(EnrollmentRefused, match="申込が見つかりません"):
        services.cancel(pending.id, second.id, coordinator)
    assert statuses(pending) == ["pending"]


def waiting_notice_position(person) -> int:
    message = db.session.scalar(
        db.select(Message).where(Message.person_id == person.id, Message.kind == "enrollment_waiting")
    )
    return message.context["position"]


def test_the_waiting_notice_tells_each_person_their_place_in_line(municipalities, make_person):
    session = small_session(municipalities, capacity=1, quotas={"草加市": 1})
    services.apply(make_person("草加市"), session.id)  # takes the one seat
    waiting = [make_person("草加市") for _ in range(3)]
    for person in waiting:
        services.apply(person, session.id)
    assert [waiting_notice_position(p) for p in waiting] == [1, 2, 3]
    assert services.waiting_position(services.enrollment_of(waiting[2], session.id)) == 3


def test_coordinators_are_asked_to_decide_on_an_application_from_their_own_staff(municipalities, make_person):
    from dxtraining.notifications.services import render

    session = small_session(municipalities, enrollment_mode=EnrollmentMode.approval)
    soka = [make_person("草加市", coordinator=True) for _ in range(2)]
    koshigaya = make_person("越谷市", coordinator=True)
    retired = make_person("草加市", coordinator=True)
    retired.is_active_account = False  # can no longer sign in: not asked
    db.session.commit()
    applicant = make_person("草加市", name="草加 花子", department="市民課")
    services.apply(applicant, session.id, note="車いすで参加します")
    assert [messages_to(c) for c in soka] == [["enrollment_awaiting_approval"]] * 2
    assert messages_to(koshigaya) == [] and messages_to(retired) == []
    nominated = make_person("草加市")
    services.apply(nominated, session.id, nominated_by=soka[0])  # a nomination needs nobody's approval
    assert messages_to(soka[1]) == ["enrollment_awaiting_approval"]
    message = render(db.session.scalar(db.select(Message).where(Message.person_id == soka[0].id)))
    assert (
        "草加 花子（市民課）から" in message.body_text
        and "申込者からの連絡事項：車いすで参加します" in message.body_text
    )
    assert f"/sessions/{session.id}/manage/112216" in message.body_text and "草加 花子" in message.subject


def test_people_awaiting_approval_hear_of_changes_to_the_session_too(municipalities, make_person):
    session = small_session(municipalities, enrollment_mode=EnrollmentMode.approval)
    pending = make_person("草加市")
    services.apply(pending, session.id)
    locked = db.session.get(TrainingSession, session.id)
    cancel_session(locked, "講師の急病")
    db.session.commit()
    assert messages_to(pending) == ["enrollment_pending", "session_cancelled"]


def test_nobody_decides_on_their_own_application(municipalities, make_person):
    session = small_session(municipalities, enrollment_mode=EnrollmentMode.approval)
    lone = make_person("越谷市", coordinator=True)  # the only coordinator of 越谷市
    secretariat = make_person("草加市", secretariat=True)
    pending = services.apply(lone, session.id)
    assert messages_to(lone) == ["enrollment_pending"]  # not asked to approve themself
    assert messages_to(secretariat) == ["enrollment_awaiting_approval"]  # someone is
    with pytest.raises(EnrollmentRefused, match="自分の申込"):
        services.decide(pending.id, session.id, lone, approve=True)
    services.decide(pending.id, session.id, secretariat, approve=True)
    assert statuses(pending) == ["confirmed"]


def test_an_application_approved_late_keeps_its_place_in_line(municipalities, make_person):
    """Approval puts people in line by when they applied, not by when the coordinator got to them."""
    session = small_session(municipalities, capacity=1, quotas={"草加市": 1}, enrollment_mode=EnrollmentMode.approval)
    coordinator = make_person("草加市", coordinator=True)
    seated, early, late = make_person("草加市"), make_person("草加市"), make_person("草加市")
    enrollments = [services.apply(p, session.id) for p in (seated, early, late)]
    services.decide(enrollments[0].id, session.id, coordinator, approve=True)
    services.decide(enrollments[2].id, session.id, coordinator, approve=True)  # the later one first
    services.decide(enrollments[1].id, session.id, coordinator, approve=True)
    assert statuses(*enrollments) == ["confirmed", "waiting", "waiting"]
    assert waiting_notice_position(late) == 1  # alone in line when approved
    assert waiting_notice_position(early) == 1  # applied earlier: goes ahead of `late`
    assert [services.waiting_position(e) for e in enrollments[1:]] == [1, 2]


def test_cancellation_after_the_deadline_only_by_the_coordinator_and_recorded_as_late(municipalities, make_person):
    session = small_session(municipalities)
    person = make_person("草加市")
    enrollment = services.apply(person, session.id)
    session.cancellation_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(EnrollmentRefused, match="キャンセル期限を過ぎています"):
        services.cancel(enrollment.id, session.id, person)
    with pytest.raises(EnrollmentRefused, match="権限"):
        services.cancel(enrollment.id, session.id, make_person("越谷市", coordinator=True))
    services.cancel(enrollment.id, session.id, make_person("草加市", coordinator=True), "急な公務")
    db.session.refresh(enrollment)
    assert enrollment.status == S.cancelled and enrollment.late_cancellation


def test_coordinator_reorders_the_waiting_list_with_a_reason(municipalities, make_person):
    session = small_session(municipalities, capacity=1, quotas={"草加市": 1})
    services.apply(make_person("草加市"), session.id)
    first, second = services.apply(make_person("草加市"), session.id), services.apply(make_person("草加市"), session.id)
    coordinator = make_person("草加市", coordinator=True)
    with pytest.raises(EnrollmentRefused, match="理由"):
        services.move_in_line(second.id, session.id, coordinator, -1, " ")
    services.move_in_line(second.id, session.id, coordinator, -1, "業務上の必要性が高い")
    assert [services.waiting_position(e) for e in (first, second)] == [2, 1]
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "enrollment.reordered"))
    assert entry.reason == "業務上の必要性が高い" and entry.actor_id == coordinator.id


def test_giving_unused_seats_to_another_municipality_promotes_its_waiting_staff(municipalities, make_person):
    session = small_session(municipalities, capacity=3, quotas={"草加市": 2, "越谷市": 1})
    services.apply(make_person("越谷市"), session.id)
    waiting = services.apply(make_person("越谷市"), session.id)
    assert waiting.status == S.waiting
    soka_coordinator = make_person("草加市", coordinator=True)
    with pytest.raises(EnrollmentRefused, match="未使用の枠（2席）まで"):
        services.give_seats(session.id, soka_coordinator, municipalities["草加市"].id, 3, municipalities["越谷市"].id)
    services.give_seats(session.id, soka_coordinator, municipalities["草加市"].id, 1, municipalities["越谷市"].id)
    assert statuses(waiting) == ["confirmed"]
    db.session.refresh(session)
    assert session.quota_for(municipalities["草加市"].id) == 1
    assert session.quota_for(municipalities["越谷市"].id) == 2


def test_secretariat_adds_seats_and_the_waiting_list_moves(municipalities, make_person):
    session = small_session(municipalities, capacity=1, quotas={"草加市": 1})
    services.apply(make_person("草加市"), session.id)
    waiting = services.apply(make_person("草加市"), session.id)
    secretariat = make_person(secretariat=True)
    with pytest.raises(EnrollmentRefused, match="超えています"):
        services.set_capacity_and_quotas(session.id, secretariat, 2, {municipalities["草加市"].id: 3})
    with pytest.raises(EnrollmentRefused, match="少なくはできません"):
        services.set_capacity_and_quotas(session.id, secretariat, 0, {municipalities["草加市"].id: 0})
    services.set_capacity_and_quotas(session.id, secretariat, 2, {municipalities["草加市"].id: 2}, "会場変更")
    assert statuses(waiting) == ["confirmed"]


def test_a_cancelled_application_may_apply_again_at_the_end_of_the_line(municipalities, make_person):
    session = small_session(municipalities, capacity=1, quotas={"草加市": 1})
    holder = make_person("草加市")
    first = services.apply(holder, session.id)
    other = services.apply(make_person("草加市"), session.id)
    services.cancel(first.id, session.id, holder)
    again = services.apply(holder, session.id)
    assert statuses(other, again) == ["confirmed", "waiting"]
    assert again.id == first.id  # the same row: one application per person and session


def test_attendance_only_for_confirmed_people_from_the_session_day(municipalities, make_person):
    session = small_session(municipalities)
    enrollment = services.apply(make_person("草加市"), session.id)
    coordinator = make_person("草加市", coordinator=True)
    with pytest.raises(EnrollmentRefused, match="から記録できます"):
        services.mark_attendance(enrollment.id, coordinator, True)
    reception = session.starts_at - timedelta(minutes=30)  # 13:00 on the day: the desk opens before the start
    assert to_tokyo(reception).date() == to_tokyo(session.starts_at).date()
    services.mark_attendance(enrollment.id, coordinator, False, now=reception)
    with pytest.raises(EnrollmentRefused, match="から記録できます"):
        services.mark_attendance(enrollment.id, coordinator, True, now=reception - timedelta(days=1))
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    db.session.commit()
    services.mark_attendance(enrollment.id, coordinator, True)
    db.session.commit()
    assert enrollment.attendance.value == "attended"
    with pytest.raises(EnrollmentRefused, match="他の市町"):
        services.mark_attendance(enrollment.id, make_person("越谷市", coordinator=True), False)


def test_once_attendance_is_recorded_the_application_cannot_be_withdrawn(municipalities, make_person):
    session = small_session(municipalities)
    person = make_person("草加市")
    enrollment = services.apply(person, session.id)
    session.cancellation_deadline = session.starts_at  # this session lets people withdraw until it begins
    db.session.commit()
    reception = session.starts_at - timedelta(minutes=30)
    services.mark_attendance(enrollment.id, make_person("草加市", coordinator=True), True, now=reception)
    db.session.commit()
    with pytest.raises(EnrollmentRefused, match="出欠が記録された申込は取り消せません"):
        services.cancel(enrollment.id, session.id, person)
    db.session.refresh(enrollment)
    assert (enrollment.status, enrollment.attendance.value) == (EnrollmentStatus.confirmed, "attended")


def test_every_person_ends_in_exactly_one_status_and_never_overbooked(municipalities, make_person):
    session = small_session(municipalities, capacity=5, quotas={"草加市": 2, "越谷市": 2})
    people = [make_person(name) for name in ["草加市", "越谷市", "八潮市"] * 4]
    for person in people:
        services.apply(person, session.id)
    state = services.seat_state(session)
    assert state.total_confirmed == 5
    assert state.confirmed[municipalities["草加市"].id] <= 3 and state.confirmed[municipalities["越谷市"].id] <= 3
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == len(people)


def test_a_reapplication_that_meets_an_application_made_and_cancelled_meanwhile_still_goes_through(
    municipalities, make_person, monkeypatch
):
    """Before the lock nothing was found; by the time it is held the person has applied and cancelled elsewhere."""
    session = small_session(municipalities)
    person = make_person("草加市")
    services.cancel(services.apply(person, session.id).id, session.id, person)
    real = services.enrollment_of
    calls = iter([None])
    monkeypatch.setattr(services, "enrollment_of", lambda p, s: next(calls, real(p, s)))
    enrollment = services.apply(person, session.id)
    assert statuses(enrollment) == ["confirmed"]
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 1


def test_editing_a_session_never_leaves_fewer_seats_than_confirmed_people(municipalities, make_person):
    session = small_session(municipalities)
    for _ in range(3):
        services.apply(make_person("草加市"), session.id)
    plan = plan_for(session.course, capacity=2, quotas={})
    with pytest.raises(ValidationFailed) as failed, locked_transaction(TrainingSession, session.id) as locked:
        save_session(session.course, plan, locked)
    assert "参加確定者数（3人）" in failed.value.errors["capacity"]
    db.session.refresh(session)
    assert session.capacity == 4
