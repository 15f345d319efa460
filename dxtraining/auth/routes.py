"""Sign-in, sign-out, sign-up, address confirmation, password reset and invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter
from ..people.services import get_rank, rank_choices
from . import services
from .forms import FOREIGN_DOMAIN, EmailForm, SetPasswordForm, SignInForm, SignUpForm
from .tokens import load_token

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.index")


def _account_key() -> str:
    return "signin-account:" + services.normalize_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    # Only failed attempts count against the limits: a failed sign-in re-renders the form, refused (422).
    return response.status_code == 422


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(lambda: current_app.config["SIGNIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
def signin():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignInForm()
    if form.validate_on_submit():
        person = services.authenticate(form.email.data, form.password.data)
        if person is None:
            form.form_errors.append(_("メールアドレスまたはパスワードが正しくありません。"))
        elif not person.is_active:
            form.form_errors.append(
                _("このアカウントはまだ利用できません。届いたメールのリンクから登録を完了してください。")
            )
        else:
            session.pop("survey_keys", None)  # a previous user's survey edit keys never carry over
            login_user(person, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/signin.html", form=form), (422 if form.errors else 200)


@bp.post("/signout")
@login_required
def signout():
    logout_user()
    session.pop("survey_keys", None)
    flash(_("ログアウトしました。"), "success")
    return redirect(url_for("auth.signin"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    form = SignUpForm()
    form.rank_id.choices = rank_choices(placeholder=True)
    if form.validate_on_submit():
        data = services.SignUp(
            email=form.email.data,
            name=form.name.data,
            name_kana=form.name_kana.data,
            department=form.department.data,
            rank=get_rank(form.rank_id.data),
            password=form.password.data,
        )
        try:
            services.sign_up(data)
        except ValueError:  # the domain was removed meanwhile
            form.email.errors.append(str(FOREIGN_DOMAIN))
        else:
            return render_template("auth/check_email.html", email=form.email.data)
    return render_template("auth/signup.html", form=form), (422 if form.errors else 200)


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    person = load_token(token, "email_confirmation")
    if person is None:
        return render_template("auth/link_invalid.html"), 404
    services.confirm_email(person)
    flash(_("メールアドレスを確認しました。ログインしてください。"), "success")
    return redirect(url_for("auth.signin"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = EmailForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data)
        return render_template("auth/check_email.html", email=form.email.data, reset=True)
    return render_template("auth/reset_request.html", form=form), (422 if form.errors else 200)


def _password_link(token: str, purpose: str, template: str):
    person = load_token(token, purpose)
    if person is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.complete_password_link(person, form.password.data, purpose)
        flash(_("パスワードを設定しました。新しいパスワードでログインしてください。"), "success")
        logout_user()
        return redirect(url_for("auth.signin"))
    return render_template(template, form=form, person=person), (422 if form.errors else 200)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _password_link(token, "password_reset", "auth/set_password.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _password_link(token, "invitation", "auth/accept_invitation.html")
