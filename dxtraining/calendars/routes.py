"""Calendar downloads and subscription feeds."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..courses.models import Course
from ..database import locked_transaction
from ..enrollment.services import enrollment_of
from ..extensions import db
from ..i18n.locale import current_locale
from ..people.models import Person
from ..sessions.models import TrainingSession
from . import services

bp = Blueprint("calendars", __name__)


def ics_response(body: bytes, last_modified, filename: str) -> Response:
    """text/calendar with ETag and Last-Modified; a repeated request with a match gets 304."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    response.last_modified = last_modified
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/sessions/<int:session_id>/calendar.ics")
@login_required
def session_file(session_id: int):
    sessions = services.sessions_with_agenda(TrainingSession.id == session_id)
    if not sessions:
        abort(404)
    body, modified = services.session_file(sessions[0], current_locale(), enrollment_of(current_user, session_id))
    return ics_response(body, modified, f"dx-training-session-{session_id}.ics")


@bp.get("/courses/<int:course_id>/calendar.ics")
@login_required
def course_feed(course_id: int):
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    sessions = services.sessions_with_agenda(TrainingSession.course_id == course.id)
    body, modified = services.public_feed(
        sessions, current_locale(), course.display_title(current_locale()), f"course-{course.id}"
    )
    return ics_response(body, modified, f"dx-training-course-{course_id}.ics")


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str):
    person = services.person_by_token(token)
    if person is None or not person.is_active:
        abort(404)
    body, modified = services.personal_feed(person)
    return ics_response(body, modified, "dx-training.ics")


@bp.get("/calendar/<token>/municipality.ics")
def municipality_feed(token: str):
    person = services.person_by_token(token)
    if person is None or not person.is_active or not person.is_coordinator:
        abort(404)
    body, modified = services.municipality_feed(person)
    return ics_response(body, modified, f"dx-training-{person.municipality.code}.ics")


@bp.get("/my/calendar")
@login_required
def subscribe():
    token = current_user.calendar_token
    if token is None:  # created on first visit, under the write lock like any other write
        with locked_transaction(Person, current_user.id) as person:
            token = services.ensure_token(person)
    https = url_for("calendars.personal_feed", token=token, _external=True)
    webcal = "webcal://" + https.split("://", 1)[1]
    coordinator = (
        url_for("calendars.municipality_feed", token=token, _external=True) if current_user.is_coordinator else None
    )
    return render_template(
        "calendars/subscribe.html", https=https, webcal=webcal, coordinator=coordinator, form=FlaskForm()
    )


@bp.post("/my/calendar/reset")
@login_required
def reset():
    if FlaskForm().validate_on_submit():
        services.reset_token(current_user)
        db.session.commit()
        flash(_("新しいURLを発行しました。以前のURLは使えなくなりました。"), "success")
    return redirect(url_for("calendars.subscribe"))
