"""The outbox: a message exists only if its change committed, and is delivered even if the mail
server was down when it was written."""

from __future__ import annotations

import email
import re
import socket

from dxtraining.extensions import db
from dxtraining.notifications.models import Message, MessageStatus
from dxtraining.notifications.services import deliver_due, notify, render


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_rolled_back_change_leaves_no_message(app, make_person):
    person = make_person()
    notify(person, "password_reset", {"link": "http://localhost/reset/x"})
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_messages_are_rendered_in_the_recipients_language(app, make_person):
    japanese = make_person(locale="ja")
    english = make_person(locale="en")
    ja_id = notify(japanese, "password_reset", {"link": "http://localhost/r"})
    en_id = notify(english, "password_reset", {"link": "http://localhost/r"})
    db.session.commit()
    ja, en = db.session.get(Message, ja_id), db.session.get(Message, en_id)
    render(ja), render(en)
    assert ja.subject == "【DX研修】パスワードの再設定"
    assert en.subject.startswith("[DX training]")
    assert "http://localhost/r" in en.body_text and "<p>" in en.body_html


def test_development_delivery_writes_eml_files_a_mail_client_opens(app, make_person, tmp_path):
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    person = make_person(name="草加 太郎")
    notify(person, "password_reset", {"link": "http://localhost/r"})
    db.session.commit()
    assert deliver_due() == (1, 0)
    [eml] = tmp_path.glob("*.eml")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert str(parsed["Subject"]) == "【DX研修】パスワードの再設定"
    assert "草加 太郎様" in parsed.get_body(("plain",)).get_content()
    assert db.session.scalar(db.select(Message.status)) == MessageStatus.sent


def test_a_refusing_mail_server_leaves_the_message_queued_for_later(app, make_person):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_STARTTLS=False)
    notify(make_person(), "password_reset", {"link": "http://localhost/r"})
    db.session.commit()
    assert deliver_due() == (0, 1)
    message = db.session.scalar(db.select(Message))
    assert message.status == MessageStatus.queued and message.attempts == 1
    assert "ConnectionRefused" in message.last_error
    assert deliver_due() == (0, 0)  # backing off: not due yet


def test_after_the_last_attempt_a_message_is_marked_failed(app, make_person):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_STARTTLS=False, MAIL_MAX_ATTEMPTS=1)
    notify(make_person(), "password_reset", {"link": "http://localhost/r"})
    db.session.commit()
    deliver_due()
    assert db.session.scalar(db.select(Message.status)) == MessageStatus.failed


def test_secretariat_sees_failed_mail_and_retries_it(app, make_person, client_for):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_STARTTLS=False, MAIL_MAX_ATTEMPTS=1)
    notify(make_person(), "password_reset", {"link": "http://localhost/r"})
    db.session.commit()
    deliver_due()
    message_id = db.session.scalar(db.select(Message.id))
    user = client_for(make_person(secretariat=True))
    assert "送信失敗" in user.get("/admin/messages").get_data(as_text=True)
    assert user.post(f"/admin/messages/{message_id}/retry").status_code == 302
    db.session.rollback()
    assert db.session.get(Message, message_id).status == MessageStatus.queued


def test_every_kind_of_message_has_words_for_the_outbox():
    from pathlib import Path

    from dxtraining.notifications.labels import KIND_LABELS

    templates = Path(__file__).resolve().parent.parent / "templates" / "notifications"
    kinds = {p.stem for p in templates.glob("*.txt") if not p.stem.startswith("_")}
    assert kinds == set(KIND_LABELS)


def _last_to(person, kind: str) -> Message:
    message = db.session.scalars(
        db.select(Message).where(Message.person_id == person.id, Message.kind == kind).order_by(Message.id.desc())
    ).first()
    return render(message)


def test_the_mail_about_a_change_says_what_the_reader_needs_next(app, make_person, municipalities):
    """What a reader learns: who cancelled and why, the new format with the meeting link for the confirmed, that
    nothing needs doing after a cancelled session, and the day in 和暦 written as on the pages."""
    from dxtraining.courses.models import SessionFormat
    from dxtraining.enrollment import services
    from dxtraining.sessions.models import TrainingSession
    from dxtraining.sessions.services import cancel_session, switch_format
    from tests.planning_helpers import make_session

    session = make_session(capacity=2, quotas={municipalities["草加市"].id: 2})
    holder, other = make_person("草加市"), make_person("草加市")
    coordinator = make_person("草加市", coordinator=True)
    held = services.apply(holder, session.id)
    services.apply(other, session.id)
    services.cancel(held.id, session.id, coordinator, "業務の都合")
    cancelled = _last_to(holder, "enrollment_cancelled").body_text
    assert "所属の研修担当者または事務局が、次の研修への申込を取り消しました。" in cancelled
    assert "理由：業務の都合" in cancelled
    assert re.search(r"令和\d+年\d+月\d+日（.）\d{1,2}:\d{2}～\d{1,2}:\d{2}", cancelled)  # as the pages write it

    switch_format(
        db.session.get(TrainingSession, session.id),
        SessionFormat.online,
        "台風",
        coordinator,
        online_url="https://meet.example.jp/room",
    )
    db.session.commit()
    switched = _last_to(other, "session_format_changed").body_text
    assert (
        "https://meet.example.jp/room" in switched and "令和" in switched
    )  # the link and the day, not only "see the page"

    cancel_session(db.session.get(TrainingSession, session.id), "講師の急病")
    db.session.commit()
    assert "申込の取り消しなどの手続きは不要です" in _last_to(other, "session_cancelled").body_text


def test_an_invitation_in_english_names_the_municipality_in_english(app, make_person, municipalities):
    from dxtraining.auth.services import send_invitation

    person = make_person("草加市", locale="en")
    send_invitation(person)
    db.session.commit()
    body = _last_to(person, "invitation").body_text
    assert "Soka City" in body and "草加市" not in body
