"""A session's page, and the secretariat's format switch and next-year copy."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import InputRequired, Optional

from ..auth.permissions import secretariat_required
from ..courses.models import SessionFormat
from ..database import locked_transaction
from ..extensions import db
from ..forms import STRIP, Length, NoControlCharacters, required
from .labels import FORMAT_LABELS, MODE_LABELS
from .models import TrainingSession
from .services import (
    ValidationFailed,
    cancel_problem,
    cancelled_problem,
    copy_for_next_year,
    day_warnings,
    load_session,
    next_year_title,
    seats_by_municipality,
    switch_format,
)

bp = Blueprint("sessions", __name__)


class FormatSwitchForm(FlaskForm):
    format = SelectField(
        _l("新しい形式"),
        choices=[SelectChoice(f.value, label) for f, label in FORMAT_LABELS.items()],
        validators=[InputRequired(message=_l("選択してください。"))],
    )
    online_platform = StringField(
        _l("オンライン会議の種類"),
        filters=STRIP,
        validators=[Optional(), Length(max=80), NoControlCharacters()],
        description=_l("例：Zoom、Microsoft Teams"),
    )
    online_url = URLField(
        _l("オンライン会議のURL"),
        filters=STRIP,
        validators=[Optional(), Length(max=500), NoControlCharacters()],
        description=_l("オンライン形式・併用では必須です。参加確定者にだけ表示されます。"),
    )
    reason = TextAreaField(
        _l("理由"),
        filters=STRIP,
        validators=[
            required,
            Length(max=1000),
            NoControlCharacters(multiline=True),
        ],
        description=_l("例：新型コロナウイルスの感染状況を考慮し、オンライン形式に変更"),
    )


class CopyForm(FlaskForm):
    title = StringField(
        _l("新しい開催回の名前"),
        filters=STRIP,
        validators=[required, Length(max=120), NoControlCharacters()],
    )


def _session_or_404(session_id: int):
    session = load_session(session_id)
    if session is None:
        abort(404)
    return session


def may_see_meeting_url(session) -> bool:
    """The online URL is for confirmed participants (and the secretariat), no one else."""
    from ..enrollment.models import Enrollment, EnrollmentStatus

    if current_user.is_secretariat:
        return True
    return (
        db.session.scalar(
            db.select(Enrollment.id).where(
                Enrollment.session_id == session.id,
                Enrollment.person_id == current_user.id,
                Enrollment.status == EnrollmentStatus.confirmed,
            )
        )
        is not None
    )


@bp.get("/sessions/<int:session_id>")
@login_required
def detail(session_id: int):
    return session_page(session_id)


def session_page(session_id: int, apply_form=None) -> str:
    """The session's page; `apply_form` brings back an application the form refused, with its errors."""
    from ..enrollment import services as enrollment
    from ..enrollment.forms import ApplyForm, CancelForm

    session = _session_or_404(session_id)
    mine = enrollment.enrollment_of(current_user, session.id)
    state = enrollment.seat_state(session)
    return render_template(
        "sessions/detail.html",
        session=session,
        seats=seats_by_municipality(session, state),
        seat_state=state,
        show_url=session.is_online and may_see_meeting_url(session),
        format_labels=FORMAT_LABELS,
        mode_labels=MODE_LABELS,
        mine=mine,
        position=enrollment.waiting_position(mine) if mine else None,
        withdraw_problem=enrollment.withdraw_problem(mine, current_user) if mine and mine.is_active else None,
        problems=enrollment.eligibility_problems(current_user, session),
        apply_form=apply_form or ApplyForm(),
        cancel_form=CancelForm(),
        may_cancel=cancel_problem(session) is None,
    )


@bp.route("/sessions/<int:session_id>/format", methods=["GET", "POST"])
@secretariat_required
def switch(session_id: int):
    session = _session_or_404(session_id)
    if problem := cancelled_problem(session):
        flash(problem, "error")
        return redirect(url_for("sessions.detail", session_id=session.id))
    form = FormatSwitchForm(
        format=session.format.value, online_url=session.online_url, online_platform=session.online_platform
    )
    if form.validate_on_submit():
        try:
            # under the seat lock: a cancellation or an edit at the same moment comes before or after, not between
            with locked_transaction(TrainingSession, session.id) as locked:
                switch_format(
                    locked,
                    SessionFormat(form.format.data),
                    form.reason.data,
                    current_user,
                    online_url=form.online_url.data or "",
                    online_platform=form.online_platform.data or "",
                )
        except ValidationFailed as failed:
            for name, message in failed.errors.items():
                getattr(form, name, form.reason).errors.append(message)
        else:
            flash(_("開催形式を変更し、申込中の方全員に通知しました。"), "success")
            return redirect(url_for("sessions.detail", session_id=session.id))
    return render_template("sessions/format.html", session=session, form=form, format_labels=FORMAT_LABELS), (
        422 if form.errors else 200
    )


@bp.route("/sessions/<int:session_id>/copy", methods=["GET", "POST"])
@secretariat_required
def copy(session_id: int):
    session = _session_or_404(session_id)
    form = CopyForm(title=next_year_title(session.title))
    if form.validate_on_submit():
        new = copy_for_next_year(session, form.title.data)
        db.session.commit()
        flash(_("次年度の開催回を作成しました。日程と申込期間を確認してください。"), "success")
        for warning in day_warnings([day.starts_at for day in new.days]):  # 52 weeks on may fall on a holiday
            flash(warning, "warning")
        return redirect(url_for("sessions.detail", session_id=new.id))
    return render_template("sessions/copy.html", session=session, form=form), (422 if form.errors else 200)
