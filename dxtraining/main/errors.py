"""Friendly error pages in the user's language."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, NotFound

from ..database import RowMissing, is_lock_timeout
from ..extensions import db


def register_error_pages(app: Flask) -> None:
    titles = {
        400: lambda: _("リクエストが正しくありません"),
        403: lambda: _("このページを表示する権限がありません"),
        404: lambda: _("ページが見つかりません"),
        405: lambda: _("この操作はできません"),
        413: lambda: _("ファイルが大きすぎます"),
        429: lambda: _("短時間に操作が集中しました"),
        500: lambda: _("システムエラーが発生しました"),
        503: lambda: _("ただいま混み合っています"),
    }

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        title = titles.get(code, lambda: error.name)()
        return render_template("errors/error.html", code=code, title=title), code

    @app.errorhandler(RowMissing)
    def row_missing(error: RowMissing):
        # What the request was to change no longer exists (removed meanwhile): nothing was saved.
        return http_error(NotFound())

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError):
        db.session.rollback()
        if not is_lock_timeout(error):
            return unexpected(error)
        # Waited DB_LOCK_TIMEOUT for another writer: nothing was saved, and trying again will work.
        app.logger.warning("lock timeout: %s", error.orig)
        page = render_template("errors/error.html", code=503, title=titles[503]())
        return page, 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_template("errors/error.html", code=500, title=titles[500]()), 500
