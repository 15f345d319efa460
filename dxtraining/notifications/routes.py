"""The secretariat's list of outgoing mail, with retry for failed messages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..audit.services import record
from ..auth.permissions import secretariat_required
from ..extensions import db
from .labels import KIND_LABELS
from .models import Message, MessageStatus
from .services import retry

bp = Blueprint("notifications", __name__)


@bp.get("/admin/messages")
@secretariat_required
def outbox():
    messages = db.session.scalars(select(Message).order_by(Message.id.desc()).limit(200)).all()
    return render_template("notifications/outbox.html", messages=messages, form=FlaskForm(), kind_labels=KIND_LABELS)


@bp.post("/admin/messages/<int:message_id>/retry")
@secretariat_required
def retry_message(message_id: int):
    message = db.session.get(Message, message_id)
    if message is None:
        abort(404)
    if FlaskForm().validate_on_submit() and message.status == MessageStatus.failed:
        retry(message)
        record("message.retried", message)
        db.session.commit()
        flash(_("再送信の予定に入れました。"), "success")
    return redirect(url_for("notifications.outbox"))
