"""The secretariat's view of the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..auth.permissions import secretariat_required
from ..extensions import db
from ..i18n.locale import current_locale
from ..people.services import municipalities
from . import labels
from .models import AuditEntry

bp = Blueprint("audit", __name__)
PAGE_SIZE = 50


@bp.get("/admin/audit")
@secretariat_required
def log():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    entries = db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "audit/log.html",
        entries=entries,
        page=page,
        has_next=page * PAGE_SIZE < total,
        total=total,
        labels=labels,
        municipality_names={str(m.id): m.display_name(current_locale()) for m in municipalities()},
    )
