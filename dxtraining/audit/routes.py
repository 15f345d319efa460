"""The secretariat's view of the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from ..auth.permissions import secretariat_required
from ..extensions import db
from ..i18n.locale import current_locale
from ..people.services import municipalities, municipality_by_code, ranks
from ..sessions.models import InstructorCriterion
from . import labels
from .reading import log_page, subject_names

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@secretariat_required
def log():
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)  # an absurd page is the last one
    municipality = municipality_by_code(request.args.get("municipality", ""))
    action = request.args.get("action", "")
    action = action if action in labels.ACTIONS else ""  # an unknown action narrows nothing
    found = log_page(page, municipality.id if municipality else None, action)
    locale = current_locale()
    listed = municipalities()
    municipality_names = {str(m.id): m.display_name(locale) for m in listed}
    return render_template(
        "audit/log.html",
        log=found,
        names=subject_names(found.entries),
        municipality=municipality,
        action=action,
        labels=labels,
        municipalities=listed,
        municipality_names=municipality_names,
        value_names={
            "municipality": municipality_names,
            "rank": {str(r.id): r.display_name(locale) for r in ranks()},
            "criterion": dict(db.session.execute(select(InstructorCriterion.code, InstructorCriterion.title)).all()),
        },
    )
