"""`notify` writes a message into the outbox; `deliver_due` sends what is due.

`notify` only records who, what kind and the context (a few ids and values) in the transaction of
the change, so it costs one INSERT inside the seat lock. The text is rendered when the message is
sent, in the recipient's language, from templates/notifications/<kind>.txt: the template sets
`subject` and its output is the body.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, render_template_string
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select, update

from ..database import IMMEDIATE, insert_row, locked_transaction, utcnow
from ..extensions import db
from ..people.models import Person
from .models import Message, MessageStatus

log = logging.getLogger(__name__)


def _render(kind: str, locale: str, context: dict[str, Any]) -> tuple[str, str]:
    env = current_app.jinja_env
    template = env.get_template(f"notifications/{kind}.txt")
    with force_locale(locale):
        module = template.make_module(vars={**context, "locale": locale})
        subject = str(getattr(module, "subject", kind)).strip()
        body = str(module).strip() + "\n"
        footer = render_template_string("{% include 'notifications/_footer.txt' %}", **context, locale=locale)
    return subject, body + footer


def _pack(value: Any) -> Any:
    """Context as JSON: model rows by class name and id, dates as ISO text."""
    if isinstance(value, db.Model):
        return {"$model": type(value).__name__, "id": value.id}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_pack(v) for v in value]
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, dict):
        if "$model" in value:
            model = db.Model.registry._class_registry[value["$model"]]
            return db.session.get(model, value["id"])
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        return {k: _unpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    return value


def render(message: Message) -> Message:
    """Write the subject and bodies of a queued message (once; later calls keep the first text)."""
    if not message.subject:
        context = _unpack(message.context)
        if message.person is not None:
            context["person"] = message.person
        message.subject, message.body_text = _render(message.kind, message.locale, context)
        message.body_html = _html(message.body_text)
        from ..calendars.invitations import invitation_for

        invitation = invitation_for(message.kind, context, message.person, message.locale)
        if invitation is not None:
            message.attachments = [*message.attachments, invitation]
    return message


def _html(body_text: str) -> str:
    paragraphs = [str(escape(p)).replace("\n", "<br>\n") for p in body_text.split("\n\n")]
    return "<!doctype html><html><body>" + "".join(f"<p>{p}</p>\n" for p in paragraphs) + "</body></html>"


# Messages a person may turn off, and the preference that does it. Everything else changes their
# obligations (confirmation, change, cancellation) and is always sent.
OPTIONAL = {"session_reminder": "wants_session_reminders", "survey_reminder": "wants_survey_reminders"}


def notify(
    recipient: Person | str,
    kind: str,
    context: dict[str, Any] | None = None,
    *,
    locale: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> int | None:
    """Queue the email `kind` for a person (or a bare address) in the current transaction (database.insert_row).

    Nothing is sent here: if the surrounding change rolls back, the message disappears with it.
    Returns the message's id; None when the person has turned this optional kind of message off, or inside a
    locked_transaction (written as the block commits).
    """
    if isinstance(recipient, Person) and kind in OPTIONAL and not getattr(recipient, OPTIONAL[kind]):
        return None
    if isinstance(recipient, Person):
        if recipient.id is None:
            db.session.flush()  # a new person: the message needs their id
        person_id, address, locale = recipient.id, recipient.email, locale or recipient.locale
    else:
        person_id, address, locale = None, recipient, locale or "ja"
    return insert_row(
        Message.__table__,
        {
            "person_id": person_id,
            "to_address": address,
            "kind": kind,
            "locale": locale,
            "context": _pack(context or {}),
            "attachments": attachments or [],
        },
    )


def as_email(message: Message, sender: str) -> EmailMessage:
    """The message as a MIME email (UTF-8 headers and body, attachments)."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = message.to_address
    email["Message-ID"] = make_msgid(idstring=f"dxtraining-{message.id}")
    email.set_content(message.body_text, charset="utf-8")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html", charset="utf-8")
    for attachment in message.attachments:
        maintype, _, subtype = attachment["content_type"].partition("/")
        email.add_attachment(
            attachment["content"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=attachment.get("params", {}),
        )
    return email


def _send(email: EmailMessage, message_id: int, kind: str, to: str, subject: str, body: str) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        if config.get("MAIL_ECHO"):
            print(f"\n--- mail to {to}: {subject}\n{body}---", flush=True)
        if config["MAIL_OUTBOX_DIR"]:
            outbox = Path(config["MAIL_OUTBOX_DIR"])
            outbox.mkdir(parents=True, exist_ok=True)
            (outbox / f"{message_id:06d}-{kind}.eml").write_bytes(bytes(email))
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_TLS"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_STARTTLS"] and not config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


# How long a sender's claim on a message lasts. A claim that was never settled (the sender died, or could not
# write the outcome) runs out, and the message is sent by a later run: mail is sent at least once.
CLAIM_LEASE = timedelta(minutes=15)


def _claim(limit: int) -> list[int]:
    """Mark up to `limit` due messages as being sent by this sender; no other sender can claim them."""
    now = utcnow()
    due = (
        select(Message.id)
        .where(Message.status.in_([MessageStatus.queued, MessageStatus.sending]), Message.next_attempt_at <= now)
        .order_by(Message.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    else:
        # SQLite: take the write lock before looking, so two senders cannot pick the same rows.
        db.session.commit()
        db.session.connection(execution_options={IMMEDIATE: True})
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(status=MessageStatus.sending, next_attempt_at=now + CLAIM_LEASE)
        )
    db.session.commit()
    return ids


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Send due messages; returns (sent, failed attempts). A failure is retried later with growing back-off.

    Each message is rendered and sent outside any transaction (a slow mail server holds no lock); the
    outcome is then written under the write lock, so several senders never get in each other's way.
    """
    sent = failed = 0
    config = current_app.config
    for message_id in _claim(limit):
        message = db.session.get(Message, message_id)
        with db.session.no_autoflush:
            render(message)
            outgoing = as_email(message, config["MAIL_SENDER"])
            rendered = {name: getattr(message, name) for name in ("subject", "body_text", "body_html", "attachments")}
            label = (message.id, message.kind, message.to_address, message.subject, message.body_text)
        db.session.rollback()  # end the read; the rendered text is kept in `rendered`
        error = None
        try:
            _send(outgoing, *label)
        except (OSError, smtplib.SMTPException) as problem:
            error = f"{type(problem).__name__}: {problem}"[:2000]
            log.warning("mail %s to %s failed: %s", message_id, label[2], error)
        with locked_transaction(Message, message_id) as message:
            for name, value in rendered.items():
                setattr(message, name, value)
            message.attempts += 1
            if error is None:
                sent += 1
                message.status, message.sent_at = MessageStatus.sent, utcnow()
            else:
                failed += 1
                message.last_error = error
                if message.attempts >= config["MAIL_MAX_ATTEMPTS"]:
                    message.status = MessageStatus.failed
                else:
                    message.status = MessageStatus.queued
                    message.next_attempt_at = utcnow() + timedelta(minutes=2 ** (message.attempts - 1))
    return sent, failed


def retry(message: Message) -> None:
    """Put a failed message back in the queue (the secretariat's retry button)."""
    message.status = MessageStatus.queued
    message.next_attempt_at = utcnow()
    message.attempts = 0


def broadcast(session, subject: str, body: str, actor: Person, municipality_id: int | None = None) -> int:
    """The secretariat's own message to everyone whose application for a session still stands, or to one
    municipality's. Returns the number of recipients (caller commits)."""
    from ..audit.services import record
    from ..sessions.services import affected_enrollments

    recipients = [e for e in affected_enrollments(session) if municipality_id in (None, e.municipality_id)]
    for enrollment in recipients:
        notify(
            enrollment.person,
            "custom_message",
            {"session": session, "enrollment": enrollment, "custom_subject": subject, "custom_body": body},
        )
    record(
        "session.message_sent",
        session,
        after={"subject": subject, "recipients": len(recipients), "municipality_id": municipality_id},
        actor=actor,
    )
    return len(recipients)
