"""The secretariat plans the course as the report describes it: curriculum, sessions, agenda, instructors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dxtraining.audit.models import AuditEntry
from dxtraining.courses.models import CaseStudy, SessionFormat
from dxtraining.courses.seed import load_course
from dxtraining.courses.services import add_module, curriculum_tree, flatten, move_module, remove_module
from dxtraining.enrollment.models import Enrollment, EnrollmentStatus
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.sessions.models import FormatChange, Instructor
from dxtraining.sessions.services import (
    BlockPlan,
    ValidationFailed,
    add_block,
    assess,
    check_plan,
    copy_for_next_year,
    criteria_of,
    save_session,
    switch_format,
    uncovered_modules,
)
from tests.conftest import text_of
from tests.planning_helpers import make_session, plan_for, plan_on

REPORT_CURRICULUM = [
    "(1) DXの基礎知識",
    "① DXとは",
    "ア DXの定義、意義",
    "② DX推進の背景",
    "ア なぜ、いまDXが求められているのか",
    "イ DX推進の目的",
    "(2) 行政におけるDX",
    "① 自治体DX推進計画",
    "② DX推進のプロセス",
    "③ DX推進にあたり、職員が取り組むべきこと",
    "ア DXの全体像",
    "イ 初めの一歩",
    "④ デジタル技術やその活用方法",
    "ア 他自治体の事例",
    "⑤ デジタル人材の確保・育成",
    "(3) 他自治体の事例",
    "(4) その他",
]


def labels(course) -> list[str]:
    return [node.label for node in flatten(curriculum_tree(course))]


def test_seed_curriculum_matches_the_report_text_and_numbering(app):
    course = load_course()
    assert course.title == "自治体職員のDXに関する意識醸成研修"
    assert course.max_rank.name == "課長級"
    assert (course.default_capacity, course.default_quota) == (30, 5)
    assert labels(course) == REPORT_CURRICULUM
    assert load_course().id == course.id  # idempotent


def test_seed_case_studies_cover_every_municipality(app):
    load_course()
    studies = db.session.scalars(db.select(CaseStudy)).all()
    by_municipality = {s.municipality.name for s in studies}
    assert by_municipality == {"草加市", "越谷市", "八潮市", "三郷市", "吉川市", "松伏町"}
    titles = " ".join(s.title for s in studies)
    for initiative in ("スマート窓口", "ネット市役所", "音声テキスト化", "電子決裁", "BPMN", "階層別DX研修会"):
        assert initiative in titles
    assert all(any(m.title == "他自治体の事例" for m in s.modules) for s in studies)


def test_reorder_renumbers(app):
    course = load_course()
    tree = curriculum_tree(course)
    basics, government = tree[0].module, tree[1].module
    assert move_module(government, -1)
    db.session.commit()
    assert labels(course)[0] == "(1) 行政におけるDX"
    assert "(2) DXの基礎知識" in labels(course)
    assert not move_module(government, -1)  # already first
    assert basics.position == 1


def test_added_and_removed_modules_take_their_numbers_from_position(app):
    course = load_course()
    other = curriculum_tree(course)[3].module
    added = add_module(course, "質疑応答", parent=other)
    db.session.commit()
    assert "① 質疑応答" in labels(course)
    remove_module(curriculum_tree(course)[0].module)
    db.session.commit()
    assert labels(course)[0] == "(1) 行政におけるDX"
    assert "(3) その他" in labels(course) and added.title == "質疑応答"


def test_quotas_over_capacity_are_refused(app):
    course = load_course()
    plan = plan_for(course, capacity=20)  # six municipalities × 5 = 30 > 20
    with pytest.raises(ValidationFailed) as refused:
        check_plan(plan)
    assert "定員（20人）を超えています" in refused.value.errors["capacity"]  # beside the capacity, not one quota


def test_window_must_close_before_the_session_and_online_needs_a_url(app):
    course = load_course()
    plan = plan_for(course, format=SessionFormat.online, online_url="javascript:alert(1)")
    plan.applications_close_at = plan.days[0].starts_at + timedelta(hours=1)
    with pytest.raises(ValidationFailed) as refused:
        check_plan(plan)
    assert set(refused.value.errors) >= {"applications_close_at", "online_url"}


def test_people_who_apply_at_the_last_moment_can_still_withdraw(app):
    plan = plan_for(load_course())
    plan.cancellation_deadline = plan.applications_close_at - timedelta(minutes=1)
    with pytest.raises(ValidationFailed) as refused:
        check_plan(plan)
    assert "申込締切と同じか、それより後" in refused.value.errors["cancellation_deadline"]
    plan.cancellation_deadline = plan.applications_close_at
    check_plan(plan)


def test_a_day_on_a_public_holiday_is_a_warning_not_a_refusal(app):
    warnings = check_plan(plan_on(load_course(), 2027, 2, 11))  # 建国記念の日
    assert any("建国記念の日" in w for w in warnings)


def test_a_session_in_the_past_is_a_warning(app):
    course = load_course()
    assert not any("過去" in w for w in check_plan(plan_for(course)))
    past = plan_on(course, 2026, 10, 1)  # before today (26 November 2026 or later)
    assert any("開催日が過去の日付です" in w for w in check_plan(past))


def test_next_years_copy_suggests_next_years_title_and_warns_of_a_holiday(secretariat):
    from dxtraining.sessions.services import next_year_title

    assert next_year_title("令和8年度 第2回") == "令和9年度 第2回"
    assert next_year_title("特別回") == "特別回（次年度）"
    course = load_course()
    session = save_session(course, plan_on(course, 2027, 2, 24))  # a Wednesday; 52 weeks on: 23 Feb 2028 (天皇誕生日)
    db.session.commit()
    assert "令和9年度" not in text_of(secretariat.get(f"/sessions/{session.id}/copy"))  # the title has no year
    copied = secretariat.post(f"/sessions/{session.id}/copy", {"title": "令和9年度 第1回"}, follow_redirects=True)
    assert "天皇誕生日" in text_of(copied)


def test_an_unqualified_instructor_cannot_be_assigned_without_a_reason(app, make_person):
    secretariat = make_person(secretariat=True)
    session = make_session()
    course = session.course
    day = session.days[0]
    qualified, unreviewed = Instructor(name="有資格 講師"), Instructor(name="未審査 講師")
    db.session.add_all([qualified, unreviewed])
    db.session.flush()
    for criterion in criteria_of(course):
        assess(qualified, criterion, True, "自治体DXの講演実績多数", secretariat)
    assess(unreviewed, criteria_of(course)[0], True, "DX関連の著書", secretariat)
    db.session.commit()
    basics = curriculum_tree(course)[0].module
    start = day.starts_at

    block = add_block(BlockPlan(day, start, start + timedelta(minutes=60), "講義", [basics], qualified), course)
    assert block.unqualified_reason == ""
    with pytest.raises(ValidationFailed) as refused:
        add_block(
            BlockPlan(day, start + timedelta(minutes=60), start + timedelta(minutes=120), "講義2", [], unreviewed),
            course,
        )
    assert "行政の観点から講義を行うことができる" in refused.value.errors["instructor_id"]
    with_reason = add_block(
        BlockPlan(
            day,
            start + timedelta(minutes=60),
            start + timedelta(minutes=120),
            "講義2",
            [],
            unreviewed,
            "他に適任者がいないため",
        ),
        course,
    )
    db.session.commit()
    assert with_reason.unqualified_reason == "他に適任者がいないため"
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "agenda.block_added").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.reason == "他に適任者がいないため"
    assert entry.after["unmet_criteria"] == ["government_perspective"]


def test_overlapping_blocks_and_blocks_outside_the_day_are_refused(app):
    session = make_session()
    course, day = session.course, session.days[0]
    start = day.starts_at
    add_block(BlockPlan(day, start, start + timedelta(minutes=90), "講義", []), course)
    with pytest.raises(ValidationFailed) as overlap:
        add_block(BlockPlan(day, start + timedelta(minutes=60), start + timedelta(minutes=120), "重複", []), course)
    assert "重なっています" in overlap.value.errors["starts_at"]
    with pytest.raises(ValidationFailed) as outside:
        add_block(
            BlockPlan(day, day.ends_at - timedelta(minutes=30), day.ends_at + timedelta(minutes=30), "延長", []), course
        )
    assert "開催時間" in outside.value.errors["starts_at"]


def test_course_shows_which_modules_no_session_covers(app):
    session = make_session()
    course, day = session.course, session.days[0]
    tree = curriculum_tree(course)
    basics, government = tree[0], tree[1]
    below_basics = [n.module.id for n in flatten(basics.children)]
    assert basics.module.id in uncovered_modules(course)
    add_block(BlockPlan(day, day.starts_at, day.starts_at + timedelta(hours=1), "講義", [basics.module]), course)
    # every item of (2) one by one: (2) itself is then covered too
    leaves = [n.module for n in flatten(government.children) if not n.children]
    add_block(
        BlockPlan(day, day.starts_at + timedelta(hours=1), day.starts_at + timedelta(hours=2), "演習", leaves), course
    )
    db.session.commit()
    uncovered = uncovered_modules(course)
    assert basics.module.id not in uncovered and not set(below_basics) & uncovered  # the items under it with it
    assert government.module.id not in uncovered
    assert tree[2].module.id in uncovered  # (3) is on no agenda


def enroll(session, person, status):
    db.session.add(
        Enrollment(session_id=session.id, person_id=person.id, municipality_id=person.municipality_id, status=status)
    )


def test_format_switch_records_reason_bumps_revision_and_tells_each_affected_person(app, make_person):
    secretariat = make_person(secretariat=True)
    session = make_session()
    confirmed, waiting, cancelled = make_person("草加市"), make_person("八潮市"), make_person("三郷市")
    enroll(session, confirmed, EnrollmentStatus.confirmed)
    enroll(session, waiting, EnrollmentStatus.waiting)
    enroll(session, cancelled, EnrollmentStatus.cancelled)
    db.session.commit()
    revision = session.revision

    switch_format(
        session,
        SessionFormat.online,
        "新型コロナウイルスの感染状況を考慮",
        secretariat,
        online_url="https://meet.example.jp/dx-training",
    )
    db.session.commit()

    assert session.revision == revision + 1
    change = db.session.scalar(db.select(FormatChange))
    assert change.reason == "新型コロナウイルスの感染状況を考慮" and change.actor_id == secretariat.id
    recipients = db.session.scalars(db.select(Message.person_id).where(Message.kind == "session_format_changed")).all()
    assert sorted(recipients) == sorted([confirmed.id, waiting.id])


def test_format_switch_without_reason_changes_nothing(app, make_person):
    session = make_session()
    with pytest.raises(ValidationFailed):
        switch_format(session, SessionFormat.online, "  ", None, online_url="https://meet.example.jp/x")
    db.session.rollback()
    assert session.format == SessionFormat.in_person and session.revision == 0


def test_copy_for_next_year_keeps_the_agenda_and_drops_people(app, make_person):
    session = make_session()
    course, day = session.course, session.days[0]
    add_block(
        BlockPlan(day, day.starts_at, day.starts_at + timedelta(hours=1), "講義", [curriculum_tree(course)[0].module]),
        course,
    )
    enroll(session, make_person(), EnrollmentStatus.confirmed)
    db.session.commit()

    copy = copy_for_next_year(session, "次年度 第1回")
    db.session.commit()

    assert copy.days[0].starts_at == day.starts_at + timedelta(weeks=52)
    assert copy.days[0].starts_at.weekday() == day.starts_at.weekday()
    assert [b.title for b in copy.days[0].blocks] == ["講義"]
    assert copy.days[0].blocks[0].modules[0].title == "DXの基礎知識"
    assert [q.seats for q in copy.quotas] == [q.seats for q in session.quotas]
    assert db.session.scalar(db.select(db.func.count(Enrollment.id)).where(Enrollment.session_id == copy.id)) == 0
