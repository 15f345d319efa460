"""The secretariat's questionnaire builder: settings, sections, and questions of every kind."""

from __future__ import annotations

import itertools

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, ValidationError
from wtforms.validators import AnyOf, Optional

from ..audit.services import changes, record
from ..auth.permissions import secretariat_required
from ..extensions import db
from ..forms import IntegerField, NumberRange, required, text_field
from .labels import KIND_LABELS
from .models import Question, QuestionKind, Questionnaire, SurveyResponse, SurveySection
from .services import load_questionnaire

bp = Blueprint("survey_admin", __name__)


class SettingsForm(FlaskForm):
    title = text_field(_l("題名"), 200, required_field=True)
    title_en = text_field(_l("題名（英語）"), 200)
    intro = text_field(_l("説明"), 2000, multiline=True)
    intro_en = text_field(_l("説明（英語）"), 2000, multiline=True)
    anonymous = BooleanField(_l("匿名で回答を集める（回答と回答者を結び付けません）"))
    open_days = IntegerField(
        _l("回答期間（事後アンケート：研修終了後の日数）"), validators=[required, NumberRange(1, 365)]
    )
    remind_days_before_close = IntegerField(
        _l("締切の何日前にリマインダーを送るか"), validators=[required, NumberRange(0, 365)]
    )

    def validate_remind_days_before_close(self, field) -> None:
        if self.open_days.data and field.data is not None and field.data >= self.open_days.data:
            raise ValidationError(_l("回答期間（%(n)d日）より短くしてください。", n=self.open_days.data))


class SectionForm(FlaskForm):
    title = text_field(_l("区分の見出し"), 200, required_field=True)
    title_en = text_field(_l("区分の見出し（英語）"), 200)


class QuestionForm(FlaskForm):
    section_id = SelectField(_l("区分"), coerce=int, validators=[required])
    kind = SelectField(_l("種類"), validators=[required])
    text = text_field(_l("質問"), 1000, required_field=True, multiline=True)
    text_en = text_field(_l("質問（英語）"), 1000, multiline=True)
    help = text_field(_l("補足"), 1000, multiline=True)
    help_en = text_field(_l("補足（英語）"), 1000, multiline=True)
    required = BooleanField(_l("回答を必須にする"))
    awareness_key = text_field(
        _l("意識項目のキー（事前・事後で同じキーの質問を比較します）"),
        40,
        description=_l("例：understanding。比較しない質問は空欄。"),
    )
    options = text_field(
        _l("選択肢・評価の段階（1行に1つ、「日本語 | English」）"),
        4000,
        multiline=True,
        description=_l("5段階評価は5行（良い方から）。選択式は2行以上。"),
    )
    rows = text_field(_l("表の項目（1行に1つ、「日本語 | English」）"), 4000, multiline=True)
    allow_other = BooleanField(_l("「その他」と自由記入を付ける"))
    min_value = IntegerField(_l("最小値"), validators=[Optional()])
    max_value = IntegerField(_l("最大値"), validators=[Optional()])
    max_length = IntegerField(_l("最大文字数"), default=1000, validators=[Optional(), NumberRange(1, 10000)])


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


def _lines(text: str | None) -> list[tuple[str, str]]:
    pairs = []
    for line in (text or "").splitlines():
        if line.strip():
            ja, _sep, en = line.partition("|")
            pairs.append((ja.strip(), en.strip()))
    return pairs


def _choices(form: QuestionForm, existing: Question | None) -> tuple[list, list] | None:
    """Options and rows from the text areas, keeping the stored values of lines that stay in place.
    Adds errors to the form and returns None when they do not fit the kind."""
    kind = QuestionKind(form.kind.data)
    options, rows = _lines(form.options.data), _lines(form.rows.data)
    if kind in (QuestionKind.rating, QuestionKind.grid) and len(options) != 5:
        form.options.errors.append(_("5段階評価は5行で入力してください（良い方から）。"))
        return None
    if kind in (QuestionKind.single, QuestionKind.multiple) and len(options) < 2:
        form.options.errors.append(_("選択肢を2行以上入力してください。"))
        return None
    if kind == QuestionKind.grid and not rows:
        form.rows.errors.append(_("表の項目を1行以上入力してください。"))
        return None
    built_options = [{"label": ja, "label_en": en} for ja, en in options]
    if kind in (QuestionKind.single, QuestionKind.multiple):
        values = _stable_ids([ja for ja, _en in options], existing.options if existing else [], "value", "o")
        for entry, value in zip(built_options, values, strict=True):
            entry["value"] = value
    built_rows = []
    if kind == QuestionKind.grid:
        keys = _stable_ids([ja for ja, _en in rows], existing.rows if existing else [], "key", "r")
        built_rows = [{"key": k, "label": ja, "label_en": en} for k, (ja, en) in zip(keys, rows, strict=True)]
    return built_options, built_rows


def _stable_ids(labels: list[str], stored: list[dict], id_key: str, prefix: str) -> list[str]:
    """The stored id for each line, so that answers keep meaning what was chosen: a line with a stored label keeps
    its id wherever it moves; a line renamed in place (its old label gone) keeps the id at its position; any
    other line gets an id never used before."""
    by_label = {item["label"]: item[id_key] for item in stored if id_key in item}
    taken = {item[id_key] for item in stored if id_key in item}
    fresh = (f"{prefix}{n}" for n in itertools.count() if f"{prefix}{n}" not in taken)
    present, used, ids = set(labels), set(), []
    for i, label in enumerate(labels):
        ident = by_label.get(label)
        if ident is None or ident in used:
            here = stored[i] if i < len(stored) else {}
            renamed = here.get("label") not in present and here.get(id_key) not in (None, *used)
            ident = here[id_key] if renamed else next(fresh)
        used.add(ident)
        ids.append(ident)
    return ids


def _question_form(
    questionnaire: Questionnaire, question: Question | None = None, submitted: bool = False
) -> QuestionForm:
    """The form of a question (or of a new one). Only the `submitted` form reads the request; the page's other
    forms show the questions as stored, even when another form on the page was refused."""
    # Each form on the page has its own prefix, so field ids (and their labels) stay unique.
    prefix = f"q{question.id}" if question else "new"
    # A sent form is what was sent (a field left out is empty, not the stored value); the others are as stored.
    form = QuestionForm(prefix=prefix) if submitted else QuestionForm(formdata=None, obj=question, prefix=prefix)
    form.section_id.choices = [SelectChoice(s.id, s.title) for s in questionnaire.sections]
    form.kind.choices = [SelectChoice(k.value, str(label)) for k, label in KIND_LABELS.items()]
    if question and not submitted:
        form.kind.data = question.kind.value
        form.options.data = "\n".join(f"{o['label']} | {o.get('label_en', '')}" for o in question.options)
        form.rows.data = "\n".join(f"{r['label']} | {r.get('label_en', '')}" for r in question.rows)
    return form


def _questionnaire_or_404(questionnaire_id: int) -> Questionnaire:
    return load_questionnaire(questionnaire_id) or abort(404)


def _responses(questionnaire: Questionnaire) -> int:
    return db.session.scalar(
        select(func.count(SurveyResponse.id)).where(SurveyResponse.questionnaire_id == questionnaire.id)
    )


@bp.route("/questionnaires/<int:questionnaire_id>", methods=["GET", "POST"])
@secretariat_required
def edit(questionnaire_id: int):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    settings = SettingsForm(obj=questionnaire)
    if settings.is_submitted() and settings.anonymous.data != questionnaire.anonymous and _responses(questionnaire):
        settings.anonymous.errors = [_("回答がある間は、匿名・記名の設定を変えられません。")]
    elif settings.validate_on_submit():
        before, after = changes(
            questionnaire,
            {f.short_name: f.data if f.data is not None else "" for f in settings if f.short_name != "csrf_token"},
        )
        if after:
            record("questionnaire.changed", questionnaire, before=before, after=after)
        db.session.commit()
        flash(_("設定を保存しました。"), "success")
        return redirect(url_for("survey_admin.edit", questionnaire_id=questionnaire.id))
    return _builder_page(questionnaire, settings=settings)


@bp.post("/questionnaires/<int:questionnaire_id>/sections")
@secretariat_required
def add_section(questionnaire_id: int):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    form = SectionForm(prefix="s")
    if form.validate_on_submit():
        section = SurveySection(
            title=form.title.data, title_en=form.title_en.data or "", position=len(questionnaire.sections)
        )
        questionnaire.sections.append(section)
        db.session.flush()
        record("questionnaire.section_added", questionnaire, after={"title": section.title})
        db.session.commit()
        flash(_("区分を追加しました。"), "success")
        return redirect(url_for("survey_admin.edit", questionnaire_id=questionnaire.id))
    return _builder_page(questionnaire, section_form=form)


def _section_or_404(section_id: int) -> SurveySection:
    return db.session.get(SurveySection, section_id) or abort(404)


def _back_to(row: SurveySection | Question):
    """The builder again, at the section or question just acted on (its heading takes focus)."""
    if isinstance(row, SurveySection):
        questionnaire_id, anchor = row.questionnaire_id, f"section-{row.id}"
    else:
        questionnaire_id, anchor = row.section.questionnaire_id, f"question-{row.id}"
    return redirect(url_for("survey_admin.edit", questionnaire_id=questionnaire_id, _anchor=anchor))


@bp.post("/sections/<int:section_id>/edit")
@secretariat_required
def edit_section(section_id: int):
    section = _section_or_404(section_id)
    form = SectionForm(prefix=f"s{section.id}")
    if form.validate_on_submit():
        before, after = changes(section, {"title": form.title.data, "title_en": form.title_en.data or ""})
        if after:
            record("questionnaire.section_changed", section, before=before, after=after)
        db.session.commit()
        flash(_("区分の見出しを保存しました。"), "success")
        return _back_to(section)
    return _builder_page(section.questionnaire, section_form=form, section_id=section.id)


@bp.post("/sections/<int:section_id>/move")
@secretariat_required
def move_section(section_id: int):
    section = _section_or_404(section_id)
    _move(section, list(section.questionnaire.sections), "questionnaire.section_moved")
    return _back_to(section)


@bp.post("/sections/<int:section_id>/delete")
@secretariat_required
def delete_section(section_id: int):
    section = _section_or_404(section_id)
    questionnaire_id = section.questionnaire_id
    if not FlaskForm().validate_on_submit():
        abort(400)
    if section.questions:  # answers hang on the questions: they are deleted one by one, knowingly
        flash(_("質問がある区分は削除できません。先に質問を別の区分へ移すか、削除してください。"), "error")
        return _back_to(section)
    record("questionnaire.section_removed", section, before={"title": section.title})
    remaining = section.questionnaire.sections
    remaining.remove(section)  # delete-orphan: the row goes
    for position, sibling in enumerate(remaining):
        sibling.position = position
    db.session.commit()
    flash(_("区分を削除しました。"), "success")
    return redirect(url_for("survey_admin.edit", questionnaire_id=questionnaire_id))


def _save_question(form: QuestionForm, question: Question, questionnaire: Questionnaire) -> bool:
    if not form.validate_on_submit():
        return False
    if form.section_id.data not in {s.id for s in questionnaire.sections}:
        abort(404)
    choices = _choices(form, question if question.id else None)
    if choices is None:
        return False
    key = form.awareness_key.data or None
    if key and QuestionKind(form.kind.data) != QuestionKind.rating:
        form.awareness_key.errors.append(_("意識項目は5段階評価の質問にだけ設定できます。"))
        return False
    same_key = [q for s in questionnaire.sections for q in s.questions if key and q.awareness_key == key]
    if any(q.id != question.id for q in same_key):
        form.awareness_key.errors.append(_("この意識項目は、このアンケートの別の質問で使われています。"))
        return False
    if (
        form.min_value.data is not None
        and form.max_value.data is not None
        and form.min_value.data > form.max_value.data
    ):
        form.max_value.errors.append(_("最大値は最小値以上にしてください。"))
        return False
    values = {
        "section_id": form.section_id.data,
        "kind": QuestionKind(form.kind.data),
        "text": form.text.data,
        "text_en": form.text_en.data or "",
        "help": form.help.data or "",
        "help_en": form.help_en.data or "",
        "required": form.required.data,
        "awareness_key": form.awareness_key.data or None,
        "options": choices[0],
        "rows": choices[1],
        "allow_other": form.allow_other.data,
        "min_value": form.min_value.data,
        "max_value": form.max_value.data,
        "max_length": form.max_length.data or 1000,
    }
    if question.id is None:
        siblings = [q for s in questionnaire.sections if s.id == values["section_id"] for q in s.questions]
        question.position = len(siblings)
        for name, value in values.items():
            setattr(question, name, value)
        db.session.add(question)
        db.session.flush()
        record("questionnaire.question_added", question, after={"text": question.text})
    else:
        before, after = changes(question, values)
        if after:
            record("questionnaire.question_changed", question, before=before, after=after)
    db.session.commit()
    return True


def _builder_page(
    questionnaire: Questionnaire,
    *,
    settings: SettingsForm | None = None,
    section_form: SectionForm | None = None,
    question_form: QuestionForm | None = None,
    question_id: int | None = None,
    section_id: int | None = None,
):
    """The builder page. The form that was sent (if any) comes back with its errors and what was typed (422);
    every other form shows what is stored. `question_id` and `section_id` say which row's form was sent."""
    edit_forms = {q.id: _question_form(questionnaire, q) for s in questionnaire.sections for q in s.questions}
    if question_id:
        edit_forms[question_id] = question_form
    section_forms = {s.id: SectionForm(formdata=None, obj=s, prefix=f"s{s.id}") for s in questionnaire.sections}
    if section_id:
        section_forms[section_id] = section_form
    refused = any(f is not None and f.errors for f in (settings, section_form, question_form))
    return render_template(
        "surveys/builder.html",
        questionnaire=questionnaire,
        settings=settings or SettingsForm(formdata=None, obj=questionnaire),
        section_form=section_form
        if section_form is not None and section_id is None
        else SectionForm(formdata=None, prefix="s"),
        section_forms=section_forms,
        open_section=section_id,
        question_form=question_form
        if question_form is not None and question_id is None
        else _question_form(questionnaire),
        move=MoveForm(),
        kind_labels=KIND_LABELS,
        responses=_responses(questionnaire),
        edit_forms=edit_forms,
        open_question=question_id,
    ), (422 if refused else 200)


@bp.post("/questionnaires/<int:questionnaire_id>/questions")
@secretariat_required
def add_question(questionnaire_id: int):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    form = _question_form(questionnaire, submitted=True)
    if _save_question(form, Question(), questionnaire):
        flash(_("質問を追加しました。"), "success")
        return redirect(url_for("survey_admin.edit", questionnaire_id=questionnaire.id))
    db.session.rollback()
    return _builder_page(questionnaire, question_form=form)


@bp.post("/questions/<int:question_id>/edit")
@secretariat_required
def edit_question(question_id: int):
    question = db.session.get(Question, question_id) or abort(404)
    questionnaire = _questionnaire_or_404(question.section.questionnaire_id)
    form = _question_form(questionnaire, question, submitted=True)
    if _save_question(form, question, questionnaire):
        flash(_("質問を保存しました。"), "success")
        return _back_to(question)
    db.session.rollback()
    return _builder_page(_questionnaire_or_404(questionnaire.id), question_form=form, question_id=question_id)


@bp.post("/questions/<int:question_id>/move")
@secretariat_required
def move_question(question_id: int):
    question = db.session.get(Question, question_id) or abort(404)
    _move(question, list(question.section.questions), "questionnaire.question_moved")
    return _back_to(question)


def _move(row: Question | SurveySection, siblings: list, action: str) -> None:
    """One place up or down among its siblings, as the MoveForm says; nothing at either end."""
    form = MoveForm()
    index = siblings.index(row)
    target = index + (-1 if form.direction.data == "up" else 1)
    if not form.validate_on_submit():
        return
    if not 0 <= target < len(siblings):
        flash(_("これ以上移動できません。"), "error")
        return
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings):
        sibling.position = position
    record(action, row, before={"position": index + 1}, after={"position": target + 1})  # counted from 1
    db.session.commit()
    flash(_("%(n)d番目に移動しました。", n=target + 1), "success")


@bp.post("/questions/<int:question_id>/delete")
@secretariat_required
def delete_question(question_id: int):
    question = db.session.get(Question, question_id) or abort(404)
    questionnaire_id = question.section.questionnaire_id
    if FlaskForm().validate_on_submit():
        record("questionnaire.question_removed", question, before={"text": question.text})
        db.session.delete(question)
        db.session.commit()
        flash(_("質問を削除しました。"), "success")
    return redirect(url_for("survey_admin.edit", questionnaire_id=questionnaire_id))
