"""dxtraining: the joint DX awareness training of the six municipalities of south-east Saitama."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.middleware.proxy_fix import ProxyFix

from .database import configure_engine, engine_options, take_write_lock_for_writes
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: object | None = None) -> Flask:
    """Build the application. `config` is a class or dict of settings; by default DXT_ENV chooses one."""
    from config import INSTANCE_DIR, config_from_env

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    config = config or config_from_env()
    if isinstance(config, dict):
        app.config.update(config)
    else:
        if hasattr(config, "check"):
            config.check()
        app.config.from_object(config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("ENV_NAME") == "production":
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    _init_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_security_headers(app)

    from .cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the whole schema, for migrations)
    from .i18n.locale import select_locale
    from .people.models import Person

    engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Tokyo")
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.signin"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    with app.app_context():
        configure_engine(app)
        take_write_lock_for_writes(app)

    # Every signed-in request runs this: built once (building it costs more than SQLite takes to run it).
    signed_in = select(Person).options(joinedload(Person.rank)).where(Person.id == bindparam("person_id"))

    @login_manager.user_loader
    def load_user(user_id: str) -> Person | None:
        person_id, _sep, stamp = user_id.partition(".")
        if not person_id.isdigit():
            return None
        person = db.session.scalars(signed_in, {"person_id": int(person_id)}).one_or_none()
        if person is None or person.auth_stamp != stamp or not person.is_active:
            return None
        return person

    @app.teardown_appcontext
    def _end_transaction(_exc: BaseException | None) -> None:
        db.session.remove()


def _register_blueprints(app: Flask) -> None:
    from .routing import RowId

    app.url_map.converters["int"] = RowId  # before any rule is added
    from .audit.routes import bp as audit_bp
    from .auth.routes import bp as auth_bp
    from .calendars.routes import bp as calendars_bp
    from .courses.admin import bp as course_admin_bp
    from .courses.routes import bp as courses_bp
    from .enrollment.routes import bp as enrollment_bp
    from .main.errors import register_error_pages
    from .main.routes import bp as main_bp
    from .notifications.routes import bp as notifications_bp
    from .people.routes import bp as people_bp
    from .sessions.admin import bp as session_admin_bp
    from .sessions.routes import bp as sessions_bp
    from .surveys.builder import bp as survey_admin_bp
    from .surveys.routes import bp as surveys_bp

    for blueprint in (
        main_bp,
        auth_bp,
        people_bp,
        courses_bp,
        course_admin_bp,
        sessions_bp,
        session_admin_bp,
        enrollment_bp,
        calendars_bp,
        surveys_bp,
        survey_admin_bp,
        audit_bp,
        notifications_bp,
    ):
        app.register_blueprint(blueprint)
    register_error_pages(app)


def _register_template_helpers(app: Flask) -> None:
    from .enrollment.labels import ATTENDANCE_LABELS, STATUS_LABELS
    from .forms import max_length
    from .i18n import dates, marks
    from .i18n.locale import current_locale

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["date"] = lambda v, weekday=True: dates.format_date(v, current_locale(), weekday)
    app.jinja_env.filters["datetime"] = lambda v: dates.format_datetime(v, current_locale())
    app.jinja_env.filters["time"] = dates.format_time
    app.jinja_env.filters["iso"] = dates.iso
    app.jinja_env.globals.update(STATUS_LABELS=STATUS_LABELS, ATTENDANCE_LABELS=ATTENDANCE_LABELS)
    app.jinja_env.globals["max_length"] = max_length
    app.jinja_env.globals["colon"] = lambda: marks.colon(current_locale())
    app.jinja_env.globals["dash"] = lambda: marks.dash(current_locale())
    app.jinja_env.filters["paren"] = lambda text: marks.paren(text, current_locale())
    app.jinja_env.filters["ja"] = lambda text: marks.japanese(text, current_locale())

    @app.context_processor
    def _globals() -> dict:
        return {"locale": current_locale(), "app_title": _("DX意識醸成研修")}


def _register_security_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        # Pages carry personal data: never keep them in shared caches. Feeds and files set their own.
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
