"""The secretariat's pages: scheduling sessions, their agenda, cancelling, and the instructor registry."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..audit.services import changes, record
from ..auth.permissions import secretariat_required
from ..courses.models import Course, CurriculumModule, SessionFormat
from ..courses.services import curriculum_tree, flatten
from ..database import locked_transaction, utcnow
from ..extensions import db
from ..forms import IntegerField, NumberRange, required
from ..i18n.dates import TOKYO, format_date
from ..i18n.locale import current_locale
from ..people.services import municipalities
from . import services
from .forms import AssessmentForm, BlockForm, CancelSessionForm, InstructorForm, SessionForm
from .labels import FORMAT_LABELS, MODE_LABELS
from .models import AgendaBlock, EnrollmentMode, Instructor, InstructorCriterion, TrainingSession

bp = Blueprint("session_admin", __name__)


def _jst(value: datetime) -> datetime:
    """A form's datetime-local value is Japan time."""
    return value.replace(tzinfo=TOKYO)


def _local(value: datetime) -> datetime:
    return value.astimezone(TOKYO).replace(tzinfo=None)


def _session_form(course: Course, session: TrainingSession | None, creating: bool):
    class Form(SessionForm):
        pass

    if creating:
        for m in municipalities():
            setattr(
                Form,
                f"quota_{m.id}",
                IntegerField(
                    m.display_name(current_locale()),
                    default=course.default_quota,
                    validators=[required, NumberRange(min=0, max=10000)],
                ),
            )
    else:
        Form.capacity = None  # capacity and quotas change on the seats page, under the seat lock
        Form.format = None  # switching the format has its own page: a reason, the history, the participants told
    form = Form(obj=session) if session else Form(capacity=course.default_capacity, format=course.default_format.value)
    for n, day in enumerate(form.days, start=1):  # each day's fields say which day they are, on screen and in errors
        day.form.date.label.text = _("%(n)d日目の日付", n=n)
        day.form.start.label.text = _("%(n)d日目の開始時刻", n=n)
        day.form.end.label.text = _("%(n)d日目の終了時刻", n=n)
    if creating:
        form.format.choices = [SelectChoice(f.value, str(label)) for f, label in FORMAT_LABELS.items()]
    form.enrollment_mode.choices = [SelectChoice(m.value, str(label)) for m, label in MODE_LABELS.items()]
    if session and not form.is_submitted():
        form.enrollment_mode.data = session.enrollment_mode.value
        for name in services.DEADLINES:
            getattr(form, name).data = _local(getattr(session, name))
        for entry, day in zip(form.days, session.days, strict=False):
            start, end = day.starts_at.astimezone(TOKYO), day.ends_at.astimezone(TOKYO)
            entry.form.date.data, entry.form.start.data, entry.form.end.data = start.date(), start.time(), end.time()
    return form


def _plan(form, course: Course, session: TrainingSession | None) -> services.SessionPlan | None:
    days = []
    for entry in _filled_days(form):
        day = entry.form
        if not (day.date.data and day.start.data and day.end.data):
            day.date.errors.append(_("日付・開始・終了をすべて入力してください。"))
            return None
        days.append(
            services.DayPlan(
                datetime.combine(day.date.data, day.start.data, TOKYO),
                datetime.combine(day.date.data, day.end.data, TOKYO),
            )
        )
    if not days:
        form.days[0].form.date.errors.append(_("開催日を1日以上入力してください。"))
        return None
    capacity, quotas = (
        (form.capacity.data, {m.id: getattr(form, f"quota_{m.id}").data for m in municipalities()})
        if session is None
        else _seats(session)
    )
    return services.SessionPlan(
        title=form.title.data,
        format=SessionFormat(form.format.data) if session is None else session.format,
        days=days,
        capacity=capacity,
        quotas=quotas,
        **{name: _typed(getattr(form, name).data, session and getattr(session, name)) for name in services.DEADLINES},
        venue_name=form.venue_name.data or "",
        venue_address=form.venue_address.data or "",
        venue_room=form.venue_room.data or "",
        access_notes=form.access_notes.data or "",
        online_platform=form.online_platform.data or "",
        online_url=form.online_url.data or "",
        enrollment_mode=EnrollmentMode(form.enrollment_mode.data),
    )


def _typed(value: datetime, stored: datetime | None) -> datetime:
    """A moment typed to the minute, in Japan time; the stored one when it falls in that minute (the form shows
    no seconds: sending it back unchanged is not a change)."""
    typed = _jst(value)
    return stored if stored is not None and stored.replace(second=0, microsecond=0) == typed else typed


def _seats(session: TrainingSession) -> tuple[int, dict[int, int]]:
    """Capacity and quotas as they are: an edit keeps them (they change on the seats page, under the seat lock)."""
    return session.capacity, {q.municipality_id: q.seats for q in session.quotas}


def _filled_days(form) -> list:
    """The day rows with anything typed in them: blank rows are left out of the plan."""
    return [e for e in form.days if e.form.date.data or e.form.start.data or e.form.end.data]


def _show_errors(form, errors: dict[str, str]) -> None:
    for key, message in errors.items():
        if key.startswith("days-"):  # the plan's n-th day: the n-th row that was filled in
            _filled_days(form)[int(key.split("-")[1])].form.end.errors.append(message)
        elif key == "days":
            form.days[0].form.date.errors.append(message)
        elif key == "quotas":
            first = next((f for f in form if f.name.startswith("quota_")), None)
            (first or form.title).errors.append(message)
        else:
            (getattr(form, key, None) or form.title).errors.append(message)  # a field this form lacks: by the title


def _edit(course: Course, session: TrainingSession | None):
    creating = session is None
    form = _session_form(course, session, creating)
    if form.validate_on_submit():
        plan = _plan(form, course, session)
        if plan is not None:
            try:
                if creating:
                    saved = services.save_session(course, plan)
                else:  # under the seat lock, keeping the seats as they are now, not as this request first read them
                    with locked_transaction(TrainingSession, session.id) as locked:
                        plan.capacity, plan.quotas = _seats(locked)
                        saved = services.save_session(course, plan, locked)
            except services.ValidationFailed as failed:
                db.session.rollback()
                _show_errors(form, failed.errors)
            else:
                db.session.commit()
                flash(_("開催回を保存しました。"), "success")
                for warning in plan.warnings:
                    flash(warning, "warning")
                return redirect(url_for("sessions.detail", session_id=saved.id))
    return render_template(
        "sessions/edit.html",
        form=form,
        course=course,
        session=session,
        creating=creating,
        format_labels=FORMAT_LABELS,
        quota_fields=[f for f in form if f.name.startswith("quota_")],
    ), (422 if form.errors or any(e.form.errors for e in form.days) else 200)


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@secretariat_required
def new(course_id: int):
    course = db.session.get(Course, course_id) or abort(404)
    return _edit(course, None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit(session_id: int):
    session = services.load_session(session_id) or abort(404)
    if problem := services.cancelled_problem(session):
        flash(problem, "error")
        return redirect(url_for("sessions.detail", session_id=session.id))
    return _edit(session.course, session)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@secretariat_required
def cancel(session_id: int):
    session = services.load_session(session_id) or abort(404)
    form = CancelSessionForm()
    if problem := services.cancel_problem(session):
        flash(problem, "error")
        return redirect(url_for("sessions.detail", session_id=session.id))
    if form.validate_on_submit():
        reason, session_id = form.reason.data, session.id
        try:
            with locked_transaction(TrainingSession, session_id) as locked:  # no application slips in meanwhile
                if problem := services.cancel_problem(locked):  # cancelled by someone else while this form was open
                    flash(problem, "error")
                    return redirect(url_for("sessions.detail", session_id=session_id))
                services.cancel_session(locked, reason)
        except services.ValidationFailed as failed:
            form.reason.errors.append(failed.errors["reason"])
        else:
            flash(_("開催回を中止し、申込中の方全員に通知しました。"), "success")
            return redirect(url_for("sessions.detail", session_id=session_id))
    return render_template("sessions/cancel.html", session=session, form=form), (422 if form.errors else 200)


def _block_form(session: TrainingSession):
    form = BlockForm()
    form.day_id.choices = [SelectChoice(d.id, format_date(d.starts_at, current_locale())) for d in session.days]
    form.modules.choices = [
        SelectChoice(node.module.id, ("　" * node.depth) + node.label)
        for node in flatten(curriculum_tree(session.course))
    ]
    instructors = db.session.scalars(select(Instructor).order_by(Instructor.name_kana, Instructor.id)).all()
    form.instructor_id.choices = [SelectChoice(0, _("（なし）"))] + [
        SelectChoice(
            i.id, _("%(name)s（%(department)s）", name=i.name, department=i.affiliation) if i.affiliation else i.name
        )
        for i in instructors
    ]
    return form


@bp.route("/sessions/<int:session_id>/agenda", methods=["GET", "POST"])
@secretariat_required
def agenda(session_id: int):
    session = services.load_session(session_id) or abort(404)
    if problem := services.cancelled_problem(session):
        flash(problem, "error")
        return redirect(url_for("sessions.detail", session_id=session.id))
    form = _block_form(session)
    if form.validate_on_submit():
        day = next(d for d in session.days if d.id == form.day_id.data)
        date = day.starts_at.astimezone(TOKYO).date()
        modules = list(
            db.session.scalars(select(CurriculumModule).where(CurriculumModule.id.in_(form.modules.data or [])))
        )
        instructor = db.session.get(Instructor, form.instructor_id.data) if form.instructor_id.data else None
        try:
            services.add_block(
                services.BlockPlan(
                    day,
                    datetime.combine(date, form.start.data, TOKYO),
                    datetime.combine(date, form.end.data, TOKYO),
                    form.title.data,
                    modules,
                    instructor,
                    form.unqualified_reason.data or "",
                ),
                session.course,
            )
        except services.ValidationFailed as failed:
            db.session.rollback()
            for key, message in failed.errors.items():
                {"starts_at": form.start, "ends_at": form.end}.get(
                    key, getattr(form, key, None) or form.title
                ).errors.append(message)
        else:
            db.session.commit()
            flash(_("時間割に追加しました。"), "success")
            return redirect(url_for("session_admin.agenda", session_id=session.id))
    return render_template("sessions/agenda.html", session=session, form=form, delete_form=FlaskForm()), (
        422 if form.errors else 200
    )


@bp.post("/agenda-blocks/<int:block_id>/delete")
@secretariat_required
def delete_block(block_id: int):
    block = db.session.get(AgendaBlock, block_id) or abort(404)
    session_id = block.day.session_id
    if problem := services.cancelled_problem(block.day.session):
        flash(problem, "error")
    elif FlaskForm().validate_on_submit():
        record("agenda.block_removed", block, before={"title": block.title})
        block.day.session.updated_at = utcnow()
        db.session.delete(block)
        db.session.commit()
        flash(_("時間割から削除しました。"), "success")
    return redirect(url_for("session_admin.agenda", session_id=session_id))


@bp.route("/instructors", methods=["GET", "POST"])
@secretariat_required
def instructors():
    form = InstructorForm()
    if form.validate_on_submit():
        instructor = Instructor()
        form.populate_obj(instructor)
        db.session.add(instructor)
        db.session.flush()
        record("instructor.added", instructor, after={"name": instructor.name})
        db.session.commit()
        flash(_("講師を登録しました。選定基準の確認を記録してください。"), "success")
        return redirect(url_for("session_admin.instructor", instructor_id=instructor.id))
    people = db.session.scalars(
        select(Instructor).options(selectinload(Instructor.assessments)).order_by(Instructor.name_kana, Instructor.id)
    ).all()
    return render_template("sessions/instructors.html", instructors=people, form=form), (422 if form.errors else 200)


@bp.route("/instructors/<int:instructor_id>", methods=["GET", "POST"])
@secretariat_required
def instructor(instructor_id: int):
    person = db.session.get(Instructor, instructor_id) or abort(404)
    criteria = db.session.scalars(
        select(InstructorCriterion).order_by(InstructorCriterion.course_id, InstructorCriterion.position)
    ).all()
    form = AssessmentForm()
    form.criterion_id.choices = [SelectChoice(c.id, c.title) for c in criteria]
    profile = InstructorForm(obj=person, prefix="profile")
    if form.validate_on_submit():
        criterion = next(c for c in criteria if c.id == form.criterion_id.data)
        services.assess(person, criterion, form.met.data, form.evidence.data, current_user)
        db.session.commit()
        flash(_("選定基準の確認を記録しました。"), "success")
        return redirect(url_for("session_admin.instructor", instructor_id=person.id))
    decided = {a.criterion_id: a for a in person.assessments}
    return render_template(
        "sessions/instructor.html", instructor=person, criteria=criteria, decided=decided, form=form, profile=profile
    ), (422 if form.errors else 200)


@bp.post("/instructors/<int:instructor_id>/profile")
@secretariat_required
def instructor_profile(instructor_id: int):
    person = db.session.get(Instructor, instructor_id) or abort(404)
    form = InstructorForm(prefix="profile")
    if form.validate_on_submit():
        before, after = changes(person, {f.short_name: f.data or "" for f in form if f.short_name != "csrf_token"})
        if after:
            record("instructor.changed", person, before=before, after=after)
        db.session.commit()
        flash(_("講師の情報を保存しました。"), "success")
    else:
        flash(_("講師の情報を保存できませんでした。氏名を確認してください。"), "error")
    return redirect(url_for("session_admin.instructor", instructor_id=person.id))


@bp.route("/sessions/<int:session_id>/message", methods=["GET", "POST"])
@secretariat_required
def message(session_id: int):
    from ..notifications.services import broadcast
    from .forms import BroadcastForm

    session = services.load_session(session_id) or abort(404)
    form = BroadcastForm()
    form.audience.choices = [SelectChoice("all", _("申込中の方全員（参加確定・キャンセル待ち・承認待ち）"))] + [
        SelectChoice(m.code, _("%(m)sの参加者のみ", m=m.display_name(current_locale()))) for m in municipalities()
    ]
    if form.validate_on_submit():
        chosen = next((m for m in municipalities() if m.code == form.audience.data), None)
        count = broadcast(session, form.subject.data, form.body.data, current_user, chosen.id if chosen else None)
        db.session.commit()
        flash(_("%(n)d人にメールを送信します。", n=count), "success")
        return redirect(url_for("sessions.detail", session_id=session.id))
    return render_template("sessions/message.html", session=session, form=form), (422 if form.errors else 200)
