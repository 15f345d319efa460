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
    session = make_session(capacity=2, quotas={soka: 1})
    services.apply(make_person("草加市"), session.id)
    secretariat = client_for(make_person(secretariat=True))
    secretariat.post("/language", {"language": "en", "next": "/admin/audit"})
    page = text_of(secretariat.get("/admin/audit"))
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
