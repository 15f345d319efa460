"""Mail through a real SMTP server on 127.0.0.1 (aiosmtpd): what arrives, exactly once, and what is not sent."""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from dxtraining.database import utcnow
from dxtraining.enrollment import services as enrollment
from dxtraining.extensions import db
from dxtraining.notifications.models import Message, MessageStatus
from dxtraining.notifications.services import _claim, broadcast, deliver_due, notify
from tests.conftest import text_of
from tests.planning_helpers import make_session
from tests.test_notifications import free_port


class Inbox:
    """An SMTP handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_USE_TLS=False)
    yield inbox
    controller.stop()


def test_a_confirmation_arrives_in_japanese_with_a_calendar_invitation(smtp, make_person, municipalities):
    session = make_session(venue_name="越谷市役所 本庁舎")
    person = make_person("草加市", name="草加 花子")
    enrollment.apply(person, session.id)
    assert deliver_due() == (1, 0)
    [mail] = smtp.messages
    assert mail["Subject"] == f"【DX研修】参加確定：{session.title}"
    assert mail["To"] == person.email
    plain = mail.get_body(("plain",))
    assert plain.get_content_charset() == "utf-8"
    assert "草加 花子様" in plain.get_content() and "越谷市役所 本庁舎" in plain.get_content()
    assert "令和" in plain.get_content()  # the date in 和暦
    assert "<p>" in mail.get_body(("html",)).get_content()
    [invite] = list(mail.iter_attachments())
    assert invite.get_content_type() == "text/calendar" and invite.get_param("method") == "REQUEST"
    assert Calendar.from_ical(invite.get_content())["METHOD"] == "REQUEST"
    assert db.session.scalar(db.select(Message.status)) == MessageStatus.sent


def test_an_english_speaker_gets_english(smtp, make_person):
    session = make_session()
    enrollment.apply(make_person("草加市", locale="en"), session.id)
    deliver_due()
    assert smtp.messages[0]["Subject"].startswith("[DX training]")


def test_a_server_that_was_down_gets_the_queued_mail_later(app, make_person):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False)
    notify(make_person(), "password_reset", {"link": "http://localhost/r"})
    db.session.commit()
    assert deliver_due() == (0, 1)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        db.session.execute(db.update(Message).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert deliver_due() == (1, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_mail_claimed_by_a_sender_that_died_is_sent_once_its_claim_runs_out(smtp, make_person):
    notify(make_person(), "password_reset", {"link": "http://localhost/r"})
    db.session.commit()
    assert _claim(10)  # a sender took it, then died before sending or writing the outcome
    assert deliver_due() == (0, 0) and smtp.messages == []  # the claim still holds: nobody sends it twice
    db.session.execute(db.update(Message).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()  # ... until it runs out
    assert deliver_due() == (1, 0) and len(smtp.messages) == 1
    assert db.session.scalar(db.select(Message.status)) == MessageStatus.sent


def test_two_senders_at_once_deliver_each_message_exactly_once(app, smtp, make_person):
    people = [make_person() for _ in range(12)]
    for person in people:
        notify(person, "password_reset", {"link": "http://localhost/r"})
    db.session.commit()

    def sender():
        with app.app_context():
            try:
                while deliver_due(limit=3)[0]:
                    pass
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = sorted(str(m["To"]) for m in smtp.messages)
    assert recipients == sorted(p.email for p in people)
    db.session.rollback()
    assert set(db.session.scalars(db.select(Message.status))) == {MessageStatus.sent}


def test_optional_reminders_respect_the_persons_choice(smtp, make_person):
    session = make_session()
    keen, quiet = make_person("草加市"), make_person("越谷市", wants_session_reminders=False)
    for person in (keen, quiet):
        enrollment.apply(person, session.id)
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() + timedelta(hours=20), utcnow() + timedelta(hours=23)
    db.session.commit()
    assert enrollment.send_session_reminders() == 2
    assert enrollment.send_session_reminders() == 0  # once only
    kinds = dict(
        db.session.execute(db.select(Message.person_id, Message.kind).where(Message.kind == "session_reminder")).all()
    )
    assert kinds == {keen.id: "session_reminder"}


def test_secretariat_writes_to_one_municipalitys_participants(client_for, smtp, make_person):
    session = make_session()
    soka, yashio = make_person("草加市"), make_person("八潮市")
    for person in (soka, yashio):
        enrollment.apply(person, session.id)
    user = client_for(make_person(secretariat=True))
    refused = user.post(f"/sessions/{session.id}/message", {"audience": "112216", "subject": "", "body": "x"})
    assert refused.status_code == 422 and "入力してください。" in text_of(refused)
    user.post(f"/sessions/{session.id}/message", {"audience": "112216", "subject": "持ち物", "body": "筆記用具"})
    assert db.session.scalars(db.select(Message.person_id).where(Message.kind == "custom_message")).all() == [soka.id]
    deliver_due()
    custom = [m for m in smtp.messages if "持ち物" in str(m["Subject"])]
    assert len(custom) == 1 and "筆記用具" in custom[0].get_body(("plain",)).get_content()
    assert broadcast(session, "全員へ", "本文", user_person := db.session.get(type(soka), soka.id)) == 2
    del user_person
