"""Answering a questionnaire, and the results pages and exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..auth.permissions import coordinator_required
from ..courses.models import Course
from ..enrollment.roster import as_csv, as_xlsx
from ..extensions import db
from ..i18n.locale import current_locale
from ..people.services import municipalities
from ..routing import row_id
from ..sessions.models import TrainingSession
from . import services
from .models import SurveyKind

bp = Blueprint("surveys", __name__)


def _key_name(questionnaire_id: int, session_id: int) -> str:
    # Keyed by person too: on a shared browser, one person's edit key is never offered to the next.
    return f"{current_user.id}-{questionnaire_id}-{session_id}"


def _load(questionnaire_id: int, session_id: int):
    questionnaire = services.load_questionnaire(questionnaire_id)
    training = db.session.get(TrainingSession, session_id)
    if questionnaire is None or training is None or questionnaire.course_id != training.course_id:
        abort(404)
    return questionnaire, training


@bp.route("/surveys/<int:questionnaire_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@login_required
def answer(questionnaire_id: int, session_id: int):
    questionnaire, training = _load(questionnaire_id, session_id)
    reason = services.refusal(current_user, questionnaire, training)
    if reason:
        return render_template(
            "surveys/closed.html", questionnaire=questionnaire, training=training, reason=reason
        ), 403
    keys = session.get("survey_keys", {})
    edit_key = keys.get(_key_name(questionnaire.id, training.id))
    existing = services.own_response(questionnaire, training, current_user, edit_key)
    form = FlaskForm()
    errors: dict[int, str] = {}
    values = request.form if request.method == "POST" else None
    if request.method == "POST" and form.validate_on_submit():
        try:
            key = services.submit(current_user, questionnaire, training, request.form, edit_key)
        except services.AnswersInvalid as invalid:
            errors = invalid.errors
        except services.SurveyRefused as refused:
            flash(refused.message, "error")
            return redirect(url_for("enrollment.mine"))
        else:
            if key:
                session["survey_keys"] = {**keys, _key_name(questionnaire.id, training.id): key}
            flash(_("回答を送信しました。ご協力ありがとうございました。"), "success")
            return redirect(url_for("enrollment.mine"))
    elif request.method == "POST":
        abort(400)
    already = services.participant(questionnaire, training, current_user)
    return render_template(
        "surveys/answer.html",
        questionnaire=questionnaire,
        training=training,
        form=form,
        errors=errors,
        previous=_previous_values(existing) if values is None else None,
        values=values,
        locked_out=existing is None and already is not None and already.answered,
        window=services.window(questionnaire, training),
    ), (422 if errors else 200)


def _previous_values(response) -> dict[str, list[str]]:
    """An earlier response as form values, so it can be edited."""
    values: dict[str, list[str]] = {}
    if response is None:
        return values
    for a in response.answers:
        name = f"q{a.question_id}" + (f"-{a.row_key}" if a.row_key else "")
        if a.option is not None:
            values.setdefault(name, []).append(a.option)
            if a.option == "other":
                values[f"{name}-other"] = [a.text or ""]
        elif a.number is not None:
            values[name] = [f"{a.number:g}"]
        else:
            values[name] = [a.text or ""]
    return values


def _filters(course: Course) -> tuple[services.Filters, int | None]:
    session_id = request.args.get("session", type=row_id)
    municipality_id = request.args.get("municipality", type=row_id)
    if not current_user.is_secretariat:
        if municipality_id not in (None, current_user.municipality_id):
            abort(403)
        municipality_id = current_user.municipality_id  # coordinators see their own municipality's results
    if session_id and db.session.get(TrainingSession, session_id) is None:
        abort(404)
    return services.Filters(session_id, municipality_id), session_id


@bp.get("/courses/<int:course_id>/surveys")
@coordinator_required
def results(course_id: int):
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    filters, session_id = _filters(course)
    locale = current_locale()
    sections = []
    for kind in (SurveyKind.pre, SurveyKind.post):
        questionnaire = db.session.scalar(
            db.select(services.Questionnaire.id).where(
                services.Questionnaire.course_id == course.id, services.Questionnaire.kind == kind
            )
        )
        if questionnaire is None:
            continue
        questionnaire = services.load_questionnaire(questionnaire)
        rates_scope = None if current_user.is_secretariat else current_user.municipality_id
        sections.append(
            {
                "questionnaire": questionnaire,
                "results": services.results(questionnaire, filters, locale),
                "rates": services.response_rates(questionnaire, session_id, rates_scope, locale),
                "missing": services.non_respondents(questionnaire, session_id, current_user.municipality_id)
                if session_id and current_user.is_coordinator
                else [],
            }
        )
    overall, by_municipality = services.pre_post(course.id, locale, session_id)
    if not current_user.is_secretariat:
        own = current_user.municipality.display_name(locale)
        overall, by_municipality = by_municipality.get(own, []), {}
    sessions = db.session.scalars(
        db.select(TrainingSession).where(TrainingSession.course_id == course.id).order_by(TrainingSession.id)
    ).all()
    return render_template(
        "surveys/results.html",
        course=course,
        sections=sections,
        overall=overall,
        by_municipality=by_municipality,
        sessions=sessions,
        filters=filters,
        municipalities=municipalities() if current_user.is_secretariat else [current_user.municipality],
        min_group=services.MIN_GROUP,
    )


@bp.get("/surveys/<int:questionnaire_id>/responses.<fmt>")
@coordinator_required
def export(questionnaire_id: int, fmt: str):
    questionnaire = services.load_questionnaire(questionnaire_id)
    if questionnaire is None or fmt not in ("csv", "xlsx"):
        abort(404)
    filters, _session_id = _filters(db.session.get(Course, questionnaire.course_id))
    if not current_user.is_secretariat:
        filters.municipality_id = current_user.municipality_id
    rows = services.export_rows(questionnaire, filters, current_locale())
    name = f"survey-{questionnaire.id}-{questionnaire.kind.value}.{fmt}"
    if fmt == "csv":
        body, mimetype = as_csv(rows), "text/csv"  # Flask adds "; charset=utf-8"
    else:
        body = as_xlsx(rows, questionnaire.display_title(current_locale()))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})
