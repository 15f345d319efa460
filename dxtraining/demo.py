"""Demo data for `make run`: staff of every municipality with sign-ins printed on the console.

Idempotent: people are looked up by email, so loading twice changes nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import select

from .auth.services import set_password
from .courses.report_data import DEMO_DEPARTMENTS
from .extensions import db
from .people.models import Municipality, Person, Rank
from .people.services import create_person, municipalities

DEMO_PASSWORD = "dx-demo-2026"

FAMILY = [
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("田中", "たなか"),
    ("伊藤", "いとう"),
    ("渡辺", "わたなべ"),
    ("山本", "やまもと"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山田", "やまだ"),
]
GIVEN = [
    ("大輔", "だいすけ"),
    ("美咲", "みさき"),
    ("翔太", "しょうた"),
    ("陽子", "ようこ"),
    ("健一", "けんいち"),
    ("彩", "あや"),
    ("拓也", "たくや"),
    ("真由美", "まゆみ"),
    ("直樹", "なおき"),
    ("恵", "めぐみ"),
    ("亮", "りょう"),
    ("優子", "ゆうこ"),
]
# Extra staff per municipality, so seats, quotas and waiting lists have people to fill them.
EXTRA_STAFF = 8
STAFF_RANKS = ("staff", "senior_staff", "unit_chief", "assistant_chief", "section_chief", "director")


@dataclass
class DemoSignIn:
    role: str
    municipality: str
    email: str
    name: str


def _name(index: int) -> tuple[str, str]:
    family, family_kana = FAMILY[index % len(FAMILY)]
    given, given_kana = GIVEN[(index // len(FAMILY) + index * 5) % len(GIVEN)]
    return f"{family} {given}", f"{family_kana} {given_kana}"


def _ensure(email: str, municipality: Municipality, index: int, rank: Rank, department: str, **roles) -> Person:
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None:
        name, kana = _name(index)
        person = create_person(
            email=email,
            name=name,
            name_kana=kana,
            municipality=municipality,
            department=department,
            rank=rank,
            confirmed=True,
            **roles,
        )
        set_password(person, DEMO_PASSWORD)
    return person


def load_demo() -> list[DemoSignIn]:
    """Create the demo staff if missing and return the sign-ins to show."""
    ranks = {r.code: r for r in db.session.scalars(select(Rank))}
    sign_ins: list[DemoSignIn] = []
    for m_index, municipality in enumerate(municipalities()):
        domain = municipality.domains[0].domain
        departments = DEMO_DEPARTMENTS.get(municipality.code, ["総務部 人事課"])
        base = m_index * 11
        employee = _ensure(f"employee@{domain}", municipality, base, ranks["senior_staff"], departments[-1])
        coordinator = _ensure(
            f"coordinator@{domain}", municipality, base + 1, ranks["unit_chief"], departments[0], is_coordinator=True
        )
        sign_ins += [
            DemoSignIn("employee", municipality.name, employee.email, employee.name),
            DemoSignIn("coordinator", municipality.name, coordinator.email, coordinator.name),
        ]
        for i in range(EXTRA_STAFF):
            _ensure(
                f"staff{i + 1:02d}@{domain}",
                municipality,
                base + 2 + i,
                ranks[STAFF_RANKS[i % len(STAFF_RANKS)]],
                departments[i % len(departments)],
            )
        if municipality.code == "112224":  # 越谷市 総合政策部 政策課 runs the secretariat
            secretariat = _ensure(
                f"secretariat@{domain}",
                municipality,
                base + 10,
                ranks["unit_chief"],
                "総合政策部 政策課",
                is_secretariat=True,
            )
            sign_ins.append(DemoSignIn("secretariat", municipality.name, secretariat.email, secretariat.name))
    db.session.commit()
    return sign_ins


def load_demo_session() -> None:
    """A session of the report's course about two months ahead, with an agenda and a qualified instructor."""
    from datetime import timedelta

    from .courses.seed import load_course
    from .courses.services import curriculum_tree
    from .database import utcnow
    from .i18n.dates import TOKYO
    from .sessions.models import Instructor, TrainingSession
    from .sessions.services import (
        BlockPlan,
        DayPlan,
        SessionPlan,
        add_block,
        assess,
        criteria_of,
        default_quotas,
        save_session,
    )

    course = load_course()
    if db.session.scalar(select(TrainingSession.id).where(TrainingSession.course_id == course.id)):
        return
    secretariat = db.session.scalar(select(Person).where(Person.is_secretariat))
    instructor = Instructor(
        name="廣川 聡美",
        name_kana="ひろかわ さとみ",
        affiliation="元 横須賀市副市長",
        profile="自治体のDX推進と情報政策に長く携わる。",
        contact="(demo) instructor@example.jp",
    )
    db.session.add(instructor)
    db.session.flush()
    for criterion in criteria_of(course):
        assess(instructor, criterion, True, "自治体DXに関する講演・著作の実績、市の副市長としての行政経験", secretariat)
    now = utcnow()
    start = (now + timedelta(days=60)).astimezone(TOKYO).replace(hour=13, minute=30, second=0, microsecond=0)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    session = save_session(
        course,
        SessionPlan(
            title="令和8年度 第1回",
            format=course.default_format,
            days=[DayPlan(start, start + timedelta(hours=3))],
            capacity=course.default_capacity,
            quotas=default_quotas(course),
            applications_open_at=now - timedelta(days=1),
            applications_close_at=start - timedelta(days=14),
            cancellation_deadline=start - timedelta(days=7),
            release_at=start - timedelta(days=21),
            venue_name="越谷市役所 本庁舎",
            venue_address="埼玉県越谷市越ヶ谷四丁目2番1号",
            venue_room="第1会議室",
            access_notes="東武スカイツリーライン 越谷駅から徒歩約10分。駐車場には限りがあります。",
            online_platform="Zoom",
            online_url="https://meet.example.jp/dx-training-demo",
        ),
    )
    tree = curriculum_tree(course)
    day = session.days[0]
    blocks = [
        (0, 60, "講義「DXの基礎知識」", [tree[0].module], instructor),
        (60, 120, "講義「行政におけるDX」", [tree[1].module], instructor),
        (130, 160, "他自治体の事例紹介（5市1町）", [tree[2].module], None),
        (160, 180, "質疑応答・まとめ", [tree[3].module], None),
    ]
    for begin, end, title, modules, teacher in blocks:
        add_block(
            BlockPlan(
                day,
                day.starts_at + timedelta(minutes=begin),
                day.starts_at + timedelta(minutes=end),
                title,
                modules,
                teacher,
            ),
            course,
        )
    db.session.commit()
    # A few applications, so coordinators and the secretariat have people to manage from the start.
    from .enrollment.services import EnrollmentRefused, apply

    for person in db.session.scalars(select(Person).where(Person.email.like("staff0%")).order_by(Person.id)):
        if person.email.split("@")[0] in ("staff01", "staff02", "staff03"):
            with contextlib.suppress(EnrollmentRefused):  # e.g. above the course's rank limit
                apply(person, session.id, "（デモ）")
