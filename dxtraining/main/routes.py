"""Home page, language switch and health check."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..database import utcnow
from ..enrollment.models import EnrollmentStatus
from ..enrollment.services import my_enrollments, waiting_positions
from ..extensions import db
from ..sessions.services import upcoming_sessions

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/index.html")
    sessions = upcoming_sessions()
    mine = [e for e in my_enrollments(current_user) if e.status != EnrollmentStatus.cancelled]
    return render_template(
        "main/index.html",
        sessions=sessions,
        mine={e.session_id: e for e in mine},
        positions=waiting_positions(mine),
        now=utcnow(),
    )


@bp.post("/language")
def switch_language():
    """Switch the interface language; remembered on the account when signed in, in the session otherwise."""
    form = FlaskForm()
    language = request.form.get("language", "")
    if form.validate_on_submit() and language in current_app.config["LANGUAGES"]:
        session["locale"] = language
        if current_user.is_authenticated and current_user.locale != language:
            current_user.locale = language
            db.session.commit()
    target = request.form.get("next", "")
    safe = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return redirect(target if safe else url_for("main.index"))


@bp.get("/healthz")
def healthz():
    """A trivial endpoint: load balancers' health check and the benchmarks' floor."""
    return {"status": "ok"}
