"""The outbox: one row per email, written in the same transaction as the change it reports."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import AwareDateTime, utcnow
from ..extensions import db
from ..people.models import Person


class MessageStatus(enum.StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class Message(db.Model):
    """An email waiting to be sent, sent, or given up on."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the person it is for; empty for mail to an address with no account yet
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    #: the recipient's address at the time of writing
    to_address: Mapped[str] = mapped_column(String(254))
    #: what the message is about, e.g. "password_reset"; names its template
    kind: Mapped[str] = mapped_column(String(40), index=True)
    #: language to write it in ("ja" or "en"), the recipient's choice when it was queued
    locale: Mapped[str] = mapped_column(String(2), default="ja")
    #: what the template needs, as JSON: plain values, and rows as {"$model": name, "id": id}
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: subject line in the recipient's language; written when the message is rendered for sending
    subject: Mapped[str] = mapped_column(String(200), default="")
    #: plain-text body, written with the subject
    body_text: Mapped[str] = mapped_column(Text, default="")
    #: HTML body
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: files to attach: a list of {"filename", "content_type", "content"} with text content
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: queued, sending (claimed by a sender), sent or failed
    status: Mapped[MessageStatus] = mapped_column(
        Enum(MessageStatus, native_enum=False, length=10), default=MessageStatus.queued, index=True
    )
    #: delivery attempts so far
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: earliest time of the next attempt (grows after each failure)
    next_attempt_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    #: the last delivery error, for the secretariat's failed-mail page
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: when notify() wrote the message
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    #: when the mail server accepted it
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    person: Mapped[Person | None] = relationship()
