"""Pages about people: one's own profile, a municipality's staff list and its CSV import."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.permissions import coordinator_required, require_coordinator_of, secretariat_required
from ..i18n.locale import current_locale
from .csv_import import import_staff
from .forms import ProfileForm, StaffImportForm
from .services import (
    ProfileChange,
    get_rank,
    municipalities,
    municipality_by_code,
    rank_choices,
    staff_of,
    update_profile,
)

bp = Blueprint("people", __name__)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    form.rank_id.choices = rank_choices(placeholder=current_user.rank_id is None)
    if not form.is_submitted():
        form.locale.data = current_locale()  # the language this browser speaks now: saving keeps it
    if form.validate_on_submit():
        changed = update_profile(
            current_user,
            ProfileChange(
                name=form.name.data,
                name_kana=form.name_kana.data,
                department=form.department.data,
                rank=get_rank(form.rank_id.data),
                job_title=form.job_title.data or "",
                locale=form.locale.data,
                wants_session_reminders=form.wants_session_reminders.data,
                wants_survey_reminders=form.wants_survey_reminders.data,
            ),
        )
        session["locale"] = form.locale.data  # this browser follows the saved choice at once
        flash(_("プロフィールを保存しました。") if changed else _("変更はありませんでした。"), "success")
        return redirect(url_for("people.profile"))
    return render_template("people/profile.html", form=form), (422 if form.errors else 200)


@bp.get("/municipalities")
@secretariat_required
def municipality_list():
    return render_template("people/municipalities.html", municipalities=municipalities())


def _managed_municipality(code: str):
    municipality = municipality_by_code(code)
    if municipality is None:
        abort(404)
    require_coordinator_of(municipality.id)
    return municipality


@bp.get("/municipalities/<code>/staff")
@coordinator_required
def staff(code: str):
    municipality = _managed_municipality(code)
    return render_template(
        "people/staff.html", municipality=municipality, staff=staff_of(municipality), form=StaffImportForm()
    )


@bp.post("/municipalities/<code>/staff/import")
@coordinator_required
def staff_import(code: str):
    municipality = _managed_municipality(code)
    form = StaffImportForm()
    result = None
    if form.validate_on_submit():
        result = import_staff(form.file.data.read(), municipality, current_app.config["MAX_CSV_ROWS"])
        if result.ok:
            flash(
                _(
                    "取り込みました：新規 %(c)d 人、更新 %(u)d 人、変更なし %(n)d 人。新規の方には案内メールを送ります。",
                    c=result.created,
                    u=result.updated,
                    n=result.unchanged,
                ),
                "success",
            )
            return redirect(url_for("people.staff", code=code))
    return render_template(
        "people/staff.html", municipality=municipality, staff=staff_of(municipality), form=form, result=result
    ), 422
