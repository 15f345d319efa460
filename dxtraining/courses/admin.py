"""The secretariat's pages for a course: its settings, municipalities' own limits, and the curriculum."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice, SelectField

from ..audit.services import changes, record
from ..auth.permissions import secretariat_required
from ..extensions import db
from ..i18n.locale import current_locale
from ..people.services import municipalities, rank_choices
from . import services
from .forms import CaseStudyForm, CourseForm, CriterionForm, ModuleForm, MoveForm, NewModuleForm
from .models import CaseStudy, Course, CourseRankLimit, CurriculumModule

bp = Blueprint("course_admin", __name__)
FIELDS = (
    "title",
    "title_en",
    "theme",
    "purpose",
    "target_description",
    "max_rank_id",
    "format_description",
    "default_capacity",
    "default_quota",
    "criteria_text",
)


def _course_form(course: Course):
    class Form(CourseForm):
        pass

    own = {limit.municipality_id: limit.max_rank_id for limit in course.rank_limits}
    for m in municipalities():
        setattr(
            Form, f"limit_{m.id}", SelectField(m.display_name(current_locale()), coerce=int, default=own.get(m.id, 0))
        )
    form = Form(obj=course)
    same = [SelectChoice(0, _("研修の設定と同じ"))]
    form.max_rank_id.choices = rank_choices()
    for m in municipalities():
        getattr(form, f"limit_{m.id}").choices = same + rank_choices()
    return form


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@secretariat_required
def edit(course_id: int):
    course = db.session.get(Course, course_id) or abort(404)
    form = _course_form(course)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in FIELDS}
        before, after = changes(course, {k: "" if v is None else v for k, v in values.items()})
        limits = {limit.municipality_id: limit for limit in course.rank_limits}
        for m in municipalities():
            chosen = getattr(form, f"limit_{m.id}").data
            current = limits.get(m.id)
            old = current.max_rank_id if current else None
            if chosen and current is None:
                course.rank_limits.append(CourseRankLimit(municipality_id=m.id, max_rank_id=chosen))
            elif chosen and current.max_rank_id != chosen:
                current.max_rank_id = chosen
            elif not chosen and current is not None:
                course.rank_limits.remove(current)
            else:
                continue
            before.setdefault("rank_limits", {})[str(m.id)] = old  # the municipality's own limit; None: the course's
            after.setdefault("rank_limits", {})[str(m.id)] = chosen or None
        if after:
            record("course.changed", course, before=before, after=after)
        db.session.commit()
        flash(_("研修の設定を保存しました。"), "success")
        return redirect(url_for("courses.detail", course_id=course.id))
    return render_template(
        "courses/edit.html", course=course, form=form, limit_fields=[f for f in form if f.name.startswith("limit_")]
    ), (422 if form.errors else 200)


def _module_or_404(module_id: int) -> CurriculumModule:
    return db.session.get(CurriculumModule, module_id) or abort(404)


@bp.route("/courses/<int:course_id>/curriculum", methods=["GET", "POST"])
@secretariat_required
def curriculum(course_id: int):
    course = db.session.get(Course, course_id) or abort(404)
    tree = services.curriculum_tree(course)
    form = NewModuleForm()
    form.parent_id.choices = [SelectChoice(0, _("最上位（(1) (2) …）"))] + [
        SelectChoice(node.module.id, _("%(label)s の下", label=node.label))
        for node in services.flatten(tree)
        if node.depth < 3
    ]
    if form.validate_on_submit():
        parent = db.session.get(CurriculumModule, form.parent_id.data) if form.parent_id.data else None
        if parent is not None and parent.course_id != course.id:
            abort(404)
        module = services.add_module(
            course, form.title.data, parent, form.description.data or "", form.planned_minutes.data
        )
        db.session.commit()
        flash(_("項目を追加しました。"), "success")
        return redirect(url_for("course_admin.curriculum", course_id=course.id, _anchor=f"module-{module.id}"))
    return render_template(
        "courses/curriculum.html",
        course=course,
        nodes=services.flatten(tree),
        uses=services.uses_below(tree),
        form=form,
        move=MoveForm(),
        edit_form=ModuleForm(),
        locale=current_locale(),
    ), (422 if form.errors else 200)


@bp.post("/curriculum/<int:module_id>/move")
@secretariat_required
def move(module_id: int):
    module = _module_or_404(module_id)
    form = MoveForm()
    if form.validate_on_submit() and services.move_module(module, -1 if form.direction.data == "up" else 1):
        db.session.commit()
    return redirect(url_for("course_admin.curriculum", course_id=module.course_id, _anchor=f"module-{module.id}"))


@bp.post("/curriculum/<int:module_id>/edit")
@secretariat_required
def rename(module_id: int):
    module = _module_or_404(module_id)
    form = ModuleForm()
    if form.validate_on_submit():
        services.rename_module(module, form.title.data, form.description.data or "", form.planned_minutes.data)
        db.session.commit()
        flash(_("項目を保存しました。"), "success")
    else:
        flash(_("項目名を入力してください（200文字以内）。"), "error")
    return redirect(url_for("course_admin.curriculum", course_id=module.course_id, _anchor=f"module-{module.id}"))


@bp.post("/curriculum/<int:module_id>/delete")
@secretariat_required
def delete(module_id: int):
    module = _module_or_404(module_id)
    course_id = module.course_id
    if FlaskForm().validate_on_submit():
        services.remove_module(module)
        db.session.commit()
        flash(_("項目を削除しました。"), "success")
    return redirect(url_for("course_admin.curriculum", course_id=course_id))


@bp.route("/courses/<int:course_id>/criteria", methods=["GET", "POST"])
@secretariat_required
def criteria(course_id: int):
    """The course's instructor selection criteria (講師選定基準), each checked separately for every instructor."""
    from ..sessions.models import InstructorCriterion
    from ..sessions.services import criteria_of

    course = db.session.get(Course, course_id) or abort(404)
    form = CriterionForm()
    if form.validate_on_submit():
        existing = criteria_of(course)
        criterion = InstructorCriterion(
            course_id=course.id,
            code=f"criterion_{len(existing) + 1}_{course.id}",
            title=form.title.data,
            description=form.description.data or "",
            position=len(existing),
        )
        db.session.add(criterion)
        db.session.flush()
        record("course.criterion_added", course, after={"title": criterion.title})
        db.session.commit()
        flash(_("選定基準を追加しました。"), "success")
        return redirect(url_for("course_admin.criteria", course_id=course.id))
    return render_template(
        "courses/criteria.html",
        course=course,
        criteria=criteria_of(course),
        form=form,
        edit_form=CriterionForm(prefix="edit"),
    ), (422 if form.errors else 200)


@bp.post("/criteria/<int:criterion_id>/edit")
@secretariat_required
def edit_criterion(criterion_id: int):
    from ..sessions.models import InstructorCriterion

    criterion = db.session.get(InstructorCriterion, criterion_id) or abort(404)
    form = CriterionForm(prefix="edit")
    if form.validate_on_submit():
        before, after = changes(criterion, {"title": form.title.data, "description": form.description.data or ""})
        if after:
            record("course.criterion_changed", criterion, before=before, after=after)
        db.session.commit()
        flash(_("選定基準を保存しました。"), "success")
    else:
        flash(_("基準を入力してください（200文字以内）。"), "error")
    return redirect(url_for("course_admin.criteria", course_id=criterion.course_id))


def _case_study_form(obj=None) -> CaseStudyForm:
    form = CaseStudyForm(obj=obj)
    form.municipality_id.choices = [SelectChoice(m.id, m.display_name(current_locale())) for m in municipalities()]
    modules = []
    for course in db.session.scalars(db.select(Course).order_by(Course.id)):
        modules += [
            SelectChoice(n.module.id, ("　" * n.depth) + n.label)
            for n in services.flatten(services.curriculum_tree(course))
        ]
    form.modules.choices = modules
    if obj is not None and not form.is_submitted():
        form.modules.data = [m.id for m in obj.modules]
    return form


def _save_case_study(form: CaseStudyForm, study: CaseStudy) -> None:
    values = {
        name: getattr(form, name).data or ""
        for name in ("title", "summary", "purpose", "period", "target", "cost", "outcome")
    }
    values["municipality_id"] = form.municipality_id.data
    before, after = changes(study, values)
    chosen = list(
        db.session.scalars(db.select(CurriculumModule).where(CurriculumModule.id.in_(form.modules.data or [])))
    )
    if {m.id for m in chosen} != {m.id for m in study.modules}:
        before["modules"], after["modules"] = [m.id for m in study.modules], [m.id for m in chosen]
        study.modules = chosen
    if study.id is None:
        db.session.add(study)
        db.session.flush()
    if after:
        record("case_study.saved", study, before=before, after=after)
    db.session.commit()


@bp.route("/case-studies", methods=["GET", "POST"])
@secretariat_required
def case_studies():
    form = _case_study_form()
    if form.validate_on_submit():
        _save_case_study(form, CaseStudy())
        flash(_("事例を登録しました。"), "success")
        return redirect(url_for("course_admin.case_studies"))
    studies = db.session.scalars(
        db.select(CaseStudy)
        .options(joinedload(CaseStudy.municipality))
        .order_by(CaseStudy.municipality_id, CaseStudy.id)
    ).all()
    return render_template("courses/case_studies.html", studies=studies, form=form), (422 if form.errors else 200)


@bp.route("/case-studies/<int:study_id>", methods=["GET", "POST"])
@secretariat_required
def case_study(study_id: int):
    study = db.session.get(CaseStudy, study_id) or abort(404)
    form = _case_study_form(study)
    if form.validate_on_submit():
        _save_case_study(form, study)
        flash(_("事例を保存しました。"), "success")
        return redirect(url_for("course_admin.case_studies"))
    return render_template("courses/case_study.html", study=study, form=form), (422 if form.errors else 200)
