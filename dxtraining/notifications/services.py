"""`notify` writes a message into the outbox; `deliver_due` sends what is due.

Messages are rendered when written, in the recipient's language, from
templates/notifications/<kind>.txt: the template sets `subject` and its output is the body.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, render_template_string
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select, update

from ..database import IMMEDIATE, utcnow
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


def _html(body_text: str) -> str:
    paragraphs = [str(escape(p)).replace("\n", "<br>\n") for p in body_text.split("\n\n")]
    return "<!doctype html><html><body>" + "".join(f"<p>{p}</p>\n" for p in paragraphs) + "</body></html>"


def notify(
    recipient: Person | str,
    kind: str,
    context: dict[str, Any] | None = None,
    *,
    locale: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> Message:
    """Queue the email `kind` for a person (or a bare address) in the current transaction.

    Nothing is sent here: if the surrounding change rolls back, the message disappears with it.
    """
    context = dict(context or {})
    if isinstance(recipient, Person):
        person, address, locale = recipient, recipient.email, locale or recipient.locale
        context.setdefault("person", recipient)
    else:
        person, address, locale = None, recipient, locale or "ja"
    subject, body = _render(kind, locale, context)
    message = Message(
        person=person,
        to_address=address,
        kind=kind,
        subject=subject,
        body_text=body,
        body_html=_html(body),
        attachments=attachments or [],
    )
    db.session.add(message)
    return message


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
            attachment["content"].encode(), maintype=maintype, subtype=subtype, filename=attachment["filename"]
        )
    return email


def _send(email: EmailMessage, message: Message) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        if config.get("MAIL_ECHO"):
            print(f"\n--- mail to {message.to_address}: {message.subject}\n{message.body_text}---", flush=True)
        if config["MAIL_OUTBOX_DIR"]:
            outbox = Path(config["MAIL_OUTBOX_DIR"])
            outbox.mkdir(parents=True, exist_ok=True)
            (outbox / f"{message.id:06d}-{message.kind}.eml").write_bytes(bytes(email))
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_TLS"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_STARTTLS"] and not config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def _claim(limit: int) -> list[int]:
    """Mark up to `limit` due messages as being sent by this sender; no other sender can claim them."""
    now = utcnow()
    due = (
        select(Message.id)
        .where(Message.status == MessageStatus.queued, Message.next_attempt_at <= now)
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
        db.session.execute(update(Message).where(Message.id.in_(ids)).values(status=MessageStatus.sending))
    db.session.commit()
    return ids


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Send due messages; returns (sent, failed attempts). A failure is retried later with growing back-off."""
    sent = failed = 0
    config = current_app.config
    for message_id in _claim(limit):
        message = db.session.get(Message, message_id)
        message.attempts += 1
        try:
            _send(as_email(message, config["MAIL_SENDER"]), message)
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= config["MAIL_MAX_ATTEMPTS"]:
                message.status = MessageStatus.failed
            else:
                message.status = MessageStatus.queued
                message.next_attempt_at = utcnow() + timedelta(minutes=2 ** (message.attempts - 1))
            log.warning("mail %s to %s failed: %s", message.id, message.to_address, message.last_error)
        else:
            sent += 1
            message.status = MessageStatus.sent
            message.sent_at = utcnow()
        db.session.commit()
    return sent, failed


def retry(message: Message) -> None:
    """Put a failed message back in the queue (the secretariat's retry button)."""
    message.status = MessageStatus.queued
    message.next_attempt_at = utcnow()
    message.attempts = 0
