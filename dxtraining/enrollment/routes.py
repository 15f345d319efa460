"""Applying, "my trainings", and the coordinator's page for one municipality's seats in a session."""

from __future__ import annotations

import io
from collections import Counter

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice, StringField
from wtforms.validators import Optional

from ..auth.permissions import coordinator_required, require_coordinator_of, secretariat_required
from ..database import locked_transaction
from ..extensions import db
from ..forms import STRIP, IntegerField, Length, NoControlCharacters, NumberRange, required
from ..i18n.locale import current_locale
from ..people.models import Municipality, Person
from ..people.services import municipalities, municipality_by_code
from ..sessions.models import TrainingSession
from ..sessions.routes import session_page
from ..sessions.services import load_session, seats_by_municipality
from . import roster, services
from .forms import ApplyForm, AttendanceForm, CancelForm, DecisionForm, GiveSeatsForm, MoveForm, NominateForm
from .models import Enrollment, EnrollmentStatus

bp = Blueprint("enrollment", __name__)


def _session_or_404(session_id: int) -> TrainingSession:
    session = load_session(session_id)
    if session is None:
        abort(404)
    return session


def _enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    return enrollment


@bp.post("/sessions/<int:session_id>/apply")
@login_required
def apply(session_id: int):
    form = ApplyForm()
    if not form.validate_on_submit():  # the page again, the note kept, the problem next to it
        return session_page(session_id, apply_form=form), 422
    try:
        enrollment = services.apply(current_user, session_id, form.note.data or "")
    except services.SessionMissing:
        abort(404)
    except services.EnrollmentRefused as refused:
        flash(refused.message, "error")
    else:
        messages = {
            EnrollmentStatus.confirmed: _("参加が確定しました。"),
            EnrollmentStatus.waiting: _("キャンセル待ちで受け付けました。"),
            EnrollmentStatus.pending: _("申込を受け付けました。研修担当者の承認をお待ちください。"),
        }
        flash(messages[enrollment.status], "success")
    return redirect(url_for("sessions.detail", session_id=session_id))


@bp.get("/my/trainings")
@login_required
def mine():
    from ..surveys.services import answered_by, open_surveys_for

    enrollments = services.my_enrollments(current_user)
    return render_template(
        "enrollment/mine.html",
        enrollments=enrollments,
        positions=services.waiting_positions(enrollments),
        withdraw_problems={e.id: services.withdraw_problem(e, current_user) for e in enrollments},
        cancel_form=CancelForm(),
        surveys=open_surveys_for(current_user, enrollments),
        answered=answered_by(current_user),
    )


@bp.post("/enrollments/<int:enrollment_id>/cancel")
@login_required
def cancel(enrollment_id: int):
    enrollment = _enrollment_or_404(enrollment_id)
    if not current_user.may_act_for(enrollment.person):
        abort(403)
    form = CancelForm()
    session_id = enrollment.session_id
    if form.validate_on_submit():
        try:
            promoted = services.cancel(enrollment.id, session_id, current_user, form.reason.data or "")
        except services.EnrollmentRefused as refused:
            flash(refused.message, "error")
        else:
            # the person themself is not told who got their seat: only someone managing the seats is
            told = _promoted(promoted) if current_user.id != enrollment.person_id else ""
            flash(_("申込を取り消しました。") + told, "success")
    return redirect(
        request.form.get("next")
        if request.form.get("next", "").startswith("/") and not request.form.get("next", "").startswith("//")
        else url_for("enrollment.mine")
    )


class SeatsForm(FlaskForm):
    capacity = IntegerField(_l("定員"), validators=[required, NumberRange(min=1, max=10000)])
    reason = StringField(
        _l("理由（任意）"),
        id="seats-reason",  # the page also has the give-seats form's reason field
        filters=STRIP,
        validators=[Optional(), Length(max=300), NoControlCharacters()],
    )


def _seats_form(session: TrainingSession, submitted: bool = True):
    """Capacity plus one quota field per municipality (municipalities can be added without code); filled
    from the request only when it is the form that was `submitted`."""

    class Form(SeatsForm):
        pass

    for m in municipalities():
        setattr(
            Form,
            f"quota_{m.id}",
            IntegerField(
                m.display_name(current_locale()),
                default=session.quota_for(m.id),
                validators=[required, NumberRange(min=0, max=10000)],
            ),
        )
    return Form(capacity=session.capacity) if submitted else Form(formdata=None, capacity=session.capacity)


def _manage_context(session: TrainingSession, municipality, submitted: str = ""):
    """What the manage page shows. Of its forms, only the one named `submitted` takes the request's values."""

    def form(cls, name: str):
        return cls() if name == submitted else cls(formdata=None)

    enrollments = (
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.session_id == session.id, Enrollment.municipality_id == municipality.id)
            .options(joinedload(Enrollment.person).joinedload(Person.rank))
            .order_by(Enrollment.queue_rank, Enrollment.applied_at, Enrollment.id)
        )
        .unique()
        .all()
    )
    by_status: dict[EnrollmentStatus, list[Enrollment]] = {s: [] for s in EnrollmentStatus}
    for e in enrollments:
        by_status[e.status].append(e)
    taken = {e.person_id for e in enrollments if e.status != EnrollmentStatus.cancelled}
    staff = db.session.scalars(
        select(Person)
        .where(Person.municipality_id == municipality.id)
        .options(joinedload(Person.rank))
        .order_by(Person.name_kana)
    ).all()
    limit = services.rank_limit(session.id, municipality.id)
    nominate = form(NominateForm, "nominate")
    eligible = [  # only staff who may attend and have not applied yet
        SelectChoice(p.id, _("%(name)s（%(department)s）", name=p.name, department=p.department))
        for p in staff
        if p.id not in taken and services.rank_problem(p, limit) is None
    ]
    nominate.person_id.choices = [SelectChoice("", _("選んでください")), *eligible] if eligible else []
    give = form(GiveSeatsForm, "give")
    give.to.choices = [SelectChoice("pool", _("共通枠（全市町）"))] + [
        SelectChoice(m.code, m.display_name(current_locale())) for m in municipalities() if m.id != municipality.id
    ]
    return dict(
        session=session,
        municipality=municipality,
        by_status=by_status,
        nominate=nominate,
        give=give,
        decision=form(DecisionForm, "decision"),
        move=form(MoveForm, "move"),
        refused_row=None,  # the enrollment whose row form was refused, if any (see _row_again)
        cancel_form=CancelForm(),
        withdrawable={e.id for e in enrollments if services.withdraw_problem(e, current_user) is None},
        decision_problem=services.decision_problem(session),
        seats=seats_by_municipality(session),
        seats_form=_seats_form(session, submitted == "seats_form") if current_user.is_secretariat else None,
        municipalities=municipalities(),
    )


def _managed(session_id: int, code: str):
    session = _session_or_404(session_id)
    municipality = municipality_by_code(code)
    if municipality is None:
        abort(404)
    require_coordinator_of(municipality.id)
    return session, municipality


@bp.get("/sessions/<int:session_id>/manage/<code>")
@coordinator_required
def manage(session_id: int, code: str):
    session, municipality = _managed(session_id, code)
    return render_template("enrollment/manage.html", **_manage_context(session, municipality))


def _back(session_id: int, code: str):
    return redirect(url_for("enrollment.manage", session_id=session_id, code=code))


def _manage_again(
    session_id: int,
    code: str,
    name: str,
    form,
    refused: services.EnrollmentRefused | None = None,
    row: int | None = None,
):
    """The manage page again (422) with the form `name` that was refused (in the table, the one of enrollment
    `row`): what was typed stays, and the problem shows next to its field (a quotas problem next to the first
    quota), or at the top when it has none."""
    session, municipality = _managed(session_id, code)
    context = _manage_context(session, municipality, submitted=name)
    if not _drawn(name, context, row):  # a form the page does not show (a cancelled session, say): say it at the top
        for message in [refused.message] if refused else [e for errors in form.errors.values() for e in errors]:
            flash(message, "error")
        return _back(session_id, code)
    context[name], context["refused_row"] = form, row
    if refused is not None:
        quota = next((field for field in form._fields if field.startswith("quota_")), None)
        field = refused.field if refused.field in form else (quota if refused.field == "quotas" else None)
        if field is None:
            flash(refused.message, "error")
        else:
            form[field].errors = [*form[field].errors, refused.message]
    return render_template("enrollment/manage.html", **context), 422


def _drawn(name: str, context: dict, row: int | None) -> bool:
    """Does the manage page draw the form `name` (for the row of enrollment `row`)? The same conditions as the
    template: an error shown beside a form that is not there would point at nothing."""
    by_status, open_for_decisions = context["by_status"], not context["decision_problem"]
    if name == "decision":
        return open_for_decisions and row in {e.id for e in by_status[EnrollmentStatus.pending]}
    if name == "move":
        waiting = by_status[EnrollmentStatus.waiting]
        return len(waiting) > 1 and row in {e.id for e in waiting}
    if name == "nominate":
        return open_for_decisions and bool(context["nominate"].person_id.choices)
    if name == "give":
        return open_for_decisions
    return True  # the secretariat's seats form is always there


def _code_of(enrollment: Enrollment) -> str:
    """The code of the municipality whose seats the application counts on (whose manage page lists it)."""
    return db.session.get(Municipality, enrollment.municipality_id).code


def _row_again(enrollment: Enrollment, code: str, name: str, form):
    """The manage page again (422) after a row's form (a decision's comment, a reordering's reason) was refused:
    the problem next to that row's field, with what was typed. A forged button value is a bad request."""
    buttons = {"decision": "decision", "move": "direction"}
    if form[buttons[name]].errors:
        abort(400)
    for f in form:
        if f.short_name != "csrf_token":
            f.id = f"{f.short_name}-{enrollment.id}"  # the ids the row's fields have on the page
    return _manage_again(enrollment.session_id, code, name, form, row=enrollment.id)


def _flash_outcome(action, success) -> None:
    """Run a seat service; say why if it refused, else `success` (a text, or a function of the outcome)."""
    try:
        outcome = action()
    except services.EnrollmentRefused as refused:
        flash(refused.message, "error")
    else:
        flash(success(outcome) if callable(success) else success, "success")


def _outcome(enrollment: Enrollment) -> str:
    """Where an approved or nominated application landed, in a sentence."""
    if enrollment.status == EnrollmentStatus.waiting:
        return _("空席がないため、キャンセル待ち（%(n)d番目）になりました。", n=services.waiting_position(enrollment))
    return _("参加確定です。")


def _promoted(promoted: list[Enrollment]) -> str:
    """How many people per municipality the change promoted from the waiting list (no names: they may be
    another municipality's staff)."""
    if not promoted:
        return ""
    counts = Counter(e.municipality_id for e in promoted)
    parts = [
        _("%(municipality)s %(n)d人", municipality=m.display_name(current_locale()), n=counts[m.id])
        for m in municipalities()
        if counts[m.id]
    ]
    return _("キャンセル待ちから繰り上がり：%(who)s", who=_("、").join(parts))


def _decided(enrollment: Enrollment) -> str:
    if enrollment.status == EnrollmentStatus.declined:
        return _("見送りにしました。")
    return _("承認しました。%(outcome)s", outcome=_outcome(enrollment))


def _row_action(enrollment_id: int, name: str, form_class, act, success):
    """A button in a row of the manage page: its form checked (refused: back beside its row), then the seat
    service `act(enrollment_id, session_id, form)`, and `success` said."""
    enrollment = _enrollment_or_404(enrollment_id)
    require_coordinator_of(enrollment.municipality_id)
    form = form_class()
    code, session_id = _code_of(enrollment), enrollment.session_id
    if not form.validate_on_submit():
        return _row_again(enrollment, code, name, form)
    _flash_outcome(lambda: act(enrollment.id, session_id, form), success)
    return _back(session_id, code)


@bp.post("/enrollments/<int:enrollment_id>/decide")
@coordinator_required
def decide(enrollment_id: int):
    return _row_action(
        enrollment_id,
        "decision",
        DecisionForm,
        lambda e_id, s_id, form: services.decide(
            e_id, s_id, current_user, form.decision.data == "approve", form.comment.data or ""
        ),
        _decided,
    )


@bp.post("/enrollments/<int:enrollment_id>/move")
@coordinator_required
def move(enrollment_id: int):
    return _row_action(
        enrollment_id,
        "move",
        MoveForm,
        lambda e_id, s_id, form: services.move_in_line(
            e_id, s_id, current_user, -1 if form.direction.data == "up" else 1, form.reason.data
        ),
        _("順番を変更しました。"),
    )


@bp.post("/sessions/<int:session_id>/manage/<code>/nominate")
@coordinator_required
def nominate(session_id: int, code: str):
    session, municipality = _managed(session_id, code)
    form = _manage_context(session, municipality, submitted="nominate")["nominate"]
    if form.validate_on_submit():
        person = db.session.get(Person, form.person_id.data)
        _flash_outcome(
            lambda: services.apply(person, session.id, form.note.data or "", nominated_by=current_user),
            lambda nominated: _(
                "%(name)sさんを推薦しました。%(outcome)s", name=person.name, outcome=_outcome(nominated)
            ),
        )
        return _back(session_id, code)
    return _manage_again(session_id, code, "nominate", form)


@bp.post("/sessions/<int:session_id>/manage/<code>/give")
@coordinator_required
def give(session_id: int, code: str):
    session, municipality = _managed(session_id, code)
    form = _manage_context(session, municipality, submitted="give")["give"]
    if form.validate_on_submit():
        target = None if form.to.data == "pool" else municipality_by_code(form.to.data)
        try:
            promoted = services.give_seats(
                session.id,
                current_user,
                municipality.id,
                form.seats.data,
                target.id if target else None,
                form.reason.data or "",
            )
        except services.EnrollmentRefused as refused:
            return _manage_again(session_id, code, "give", form, refused)
        flash(_("枠を譲りました。") + _promoted(promoted), "success")
        return _back(session_id, code)
    return _manage_again(session_id, code, "give", form)


@bp.post("/sessions/<int:session_id>/seats")
@secretariat_required
def seats(session_id: int):
    session = _session_or_404(session_id)
    form = _seats_form(session)
    code = request.form.get("code") or current_user.municipality.code
    if form.validate_on_submit():
        quotas = {m.id: getattr(form, f"quota_{m.id}").data for m in municipalities()}
        try:
            promoted = services.set_capacity_and_quotas(
                session.id, current_user, form.capacity.data, quotas, form.reason.data or ""
            )
        except services.EnrollmentRefused as refused:
            return _manage_again(session_id, code, "seats_form", form, refused)
        flash(_("定員と枠を変更しました。") + _promoted(promoted), "success")
        return _back(session_id, code)
    return _manage_again(session_id, code, "seats_form", form)


@bp.route("/sessions/<int:session_id>/attendance/<code>", methods=["GET", "POST"])
@coordinator_required
def attendance(session_id: int, code: str):
    session, municipality = _managed(session_id, code)
    form = AttendanceForm()
    confirmed = (
        db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.session_id == session.id,
                Enrollment.status == EnrollmentStatus.confirmed,
                Enrollment.municipality_id == municipality.id,
            )
            .options(joinedload(Enrollment.person))
            .order_by(Enrollment.municipality_id, Enrollment.id)
        )
        .unique()
        .all()
    )
    if form.validate_on_submit():
        marks = {e.id: request.form.get(f"attendance-{e.id}") for e in confirmed}
        try:
            # under the seat lock: nobody withdraws between the check that a person is confirmed and the mark
            with locked_transaction(TrainingSession, session.id):
                for enrollment_id, value in marks.items():
                    if value in ("attended", "absent"):
                        services.mark_attendance(enrollment_id, current_user, value == "attended")
        except services.EnrollmentRefused as refused:
            flash(refused.message, "error")
        else:
            flash(_("出欠を保存しました。"), "success")
        return redirect(url_for("enrollment.attendance", session_id=session.id, code=code))
    return render_template(
        "enrollment/attendance.html",
        session=session,
        municipality=municipality,
        confirmed=confirmed,
        form=form,
        problem=services.attendance_problem(session),
    )


@bp.get("/sessions/<int:session_id>/roster.<fmt>")
@coordinator_required
def export(session_id: int, fmt: str):
    session = _session_or_404(session_id)
    code = request.args.get("municipality", "")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    municipality = None
    if code:
        municipality = municipality_by_code(code)
        if municipality is None:
            abort(404)
        require_coordinator_of(municipality.id)
    elif not current_user.is_secretariat:
        abort(403)
    rows = roster.roster_rows(session.id, municipality.id if municipality else None)
    if fmt == "csv":
        content, mimetype = roster.as_csv(rows), "text/csv"  # Flask adds "; charset=utf-8"
    else:
        content = roster.as_xlsx(rows, session.title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # send_file writes a Japanese file name both ways browsers read it (filename*=UTF-8'' and an ASCII fallback)
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        as_attachment=True,
        download_name=roster.file_name(session, municipality, fmt),
    )
    response.headers["Cache-Control"] = "no-store"  # names and addresses: kept in no cache (send_file says no-cache)
    return response
