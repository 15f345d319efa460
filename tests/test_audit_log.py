"""The secretariat reads the audit log in words, in Japanese or English, never as codes."""

from __future__ import annotations

import re
from pathlib import Path

from dxtraining.audit.labels import ACTIONS
from dxtraining.enrollment import services
from tests.conftest import text_of
from tests.planning_helpers import make_session

SOURCE = Path(__file__).resolve().parent.parent / "dxtraining"


def recorded_actions() -> set[str]:
    """Every action code the code writes to the log (the two built from a purpose are spelled out)."""
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'record\(\s*"([a-z_]+\.[a-z_]+)"', text))
        codes |= set(re.findall(r'action\s*=\s*"([a-z_]+\.[a-z_]+)"', text))
        if 'record(f"person.{purpose}_completed"' in text:
            codes |= {"person.password_reset_completed", "person.invitation_completed"}
    return codes


def test_every_field_the_code_records_by_name_has_words():
    from dxtraining.audit.labels import FIELDS

    keys: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for values in re.findall(r"(?:before|after)\s*=\s*\{([^}]*)\}", path.read_text(encoding="utf-8")):
            keys |= set(re.findall(r'"([a-z_]+)"\s*:', values))
    assert len(keys) > 10  # the search still finds them
    assert sorted(keys - FIELDS.keys()) == []


def test_every_action_the_code_records_has_words():
    codes = recorded_actions()
    assert len(codes) > 30  # the search still finds them
    assert sorted(codes - ACTIONS.keys()) == []


def test_in_english_the_log_reads_in_english(client_for, make_person, municipalities):
    soka = municipalities["草加市"].id
    session = make_session(capacity=1, quotas={soka: 1})
    first, second = make_person("草加市"), make_person("草加市")
    held = services.apply(first, session.id)
    services.apply(second, session.id)  # waits
    services.cancel(held.id, session.id, first)  # the second moves up: a reason the system writes
    secretariat = client_for(make_person(secretariat=True))
    secretariat.post("/language", {"language": "en", "next": "/admin/audit"})
    page = text_of(secretariat.get("/admin/audit"))
    assert "Promoted from the waiting list" in page and "繰り上げ" not in page
    assert "Status: —" in page and "Status: Confirmed" in page  # a new application had no status before
    assert "Soka City" in page and "草加市" not in page
    assert "：" not in page and "状態" not in page


def test_the_log_records_the_status_an_application_really_had_before(make_person, municipalities):
    from dxtraining.audit.models import AuditEntry
    from dxtraining.extensions import db
    from dxtraining.sessions.models import EnrollmentMode

    person = make_person("草加市")
    session = make_session(enrollment_mode=EnrollmentMode.approval)
    first = services.apply(person, session.id)
    services.cancel(first.id, session.id, person)
    services.apply(person, session.id)  # again, onto the cancelled application
    entries = db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.subject_type == "enrollment", AuditEntry.subject_id == first.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.before.get("status"), e.after.get("status")) for e in entries] == [
        ("enrollment.applied", None, "pending"),
        ("enrollment.status_changed", "pending", "cancelled"),
        ("enrollment.applied", "cancelled", "pending"),
    ]


def test_the_secretariat_narrows_the_log_and_sees_who_and_what_each_entry_is_about(
    client_for, make_person, municipalities
):
    session = make_session(title="第7回")
    services.apply(make_person("草加市", name="草加 一郎"), session.id)
    services.apply(make_person("越谷市", name="越谷 二郎"), session.id)
    secretariat = client_for(make_person(secretariat=True))
    page = text_of(secretariat.get("/admin/audit?municipality=112216&action=enrollment.applied"))
    assert "草加 一郎 / 第7回" in page and "越谷 二郎" not in page
    assert "全 1 件" in page
    everything = text_of(secretariat.get("/admin/audit?municipality=nonsense&action=<script>&page=-4"))
    assert secretariat.get("/admin/audit?page=99999999999999999999").status_code == 200
    assert "越谷 二郎 / 第7回" in everything and "草加 一郎 / 第7回" in everything  # nonsense narrows nothing
    assert "第7回" in text_of(secretariat.get("/admin/audit?action=session.created"))


# Columns no form edits, or that are never shown: ids, timestamps, secrets.
NOT_EDITED = {
    "id",
    "created_at",
    "course_id",
    "questionnaire_id",
    "code",
    "password_hash",
    "auth_stamp",
    "calendar_token",
}
NOT_EDITED |= {"email_confirmed_at", "is_active_account", "email"}
NOT_EDITED |= {"revision", "cancelled_at", "cancel_reason", "updated_at"}  # a session's: set by the system


def test_every_field_a_form_changes_has_words():
    """Forms record their changes field by field through `changes()`: every column they can touch is named."""
    from dxtraining.audit.labels import FIELDS
    from dxtraining.courses.models import CaseStudy, Course
    from dxtraining.people.models import Person
    from dxtraining.sessions.models import Instructor, InstructorCriterion, TrainingSession
    from dxtraining.surveys.models import Question, Questionnaire, SurveySection

    audited = (Course, CaseStudy, InstructorCriterion, Instructor, Questionnaire, SurveySection, Question, Person)
    audited += (TrainingSession,)
    columns = {column.key for model in audited for column in model.__table__.columns}
    assert sorted(columns - NOT_EDITED - FIELDS.keys()) == []


def test_ranks_choices_and_kinds_read_as_names_not_codes(client_for, make_person):
    from dxtraining.audit.services import record
    from dxtraining.extensions import db
    from dxtraining.people.models import Rank
    from dxtraining.people.services import ProfileChange, update_profile

    person = make_person("草加市", rank="staff", name="草加 一郎")
    unit_chief = db.session.scalar(db.select(Rank).where(Rank.code == "unit_chief"))
    update_profile(
        person,
        ProfileChange(
            name="草加 一郎",
            name_kana="そうか いちろう",
            department="総務部",
            rank=unit_chief,
            job_title="係長",
            locale="en",
        ),
    )
    subject = make_person("越谷市")  # any row: the values are what this test is about
    record(
        "questionnaire.question_changed",
        subject,
        before={"kind": "single", "options": [{"value": "1", "label": "はい", "label_en": "Yes"}]},
        after={"kind": "multiple", "options": [{"value": "2", "label": "いいえ", "label_en": "No"}]},
    )
    db.session.commit()
    secretariat = client_for(make_person(secretariat=True))
    page = text_of(secretariat.get("/admin/audit"))
    assert "職層：主事級" in page and "職層：係長級" in page
    assert "表示言語：English" in page
    assert "種類：単一選択" in page and "選択肢の一覧：いいえ" in page
    secretariat.post("/language", {"language": "en", "next": "/admin/audit"})
    english = text_of(secretariat.get("/admin/audit"))
    assert "Rank: Unit chief" in english and "Choices: No" in english and "Type: Multiple choice" in english


def test_an_empty_list_reads_as_a_dash(app):
    from dxtraining.audit.labels import change_text

    with app.test_request_context():
        assert change_text("unmet_criteria", [], {}) == "満たさない選定基準：—"
