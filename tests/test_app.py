"""The application as a whole: factory, configuration, headers, error pages, language."""

from __future__ import annotations

import pytest

from config import DevelopmentConfig, ProductionConfig
from dxtraining import create_app
from tests.conftest import text_of


def test_factory_takes_a_test_config(app):
    assert app.testing
    assert app.config["BABEL_DEFAULT_LOCALE"] == "ja"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_cookies_are_secure_and_development_ones_work_over_http():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY and ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert not DevelopmentConfig.SESSION_COOKIE_SECURE


def test_pages_are_japanese_by_default_with_a_skip_link(anonymous):
    page = text_of(anonymous.get("/"))
    assert '<html lang="ja">' in page
    assert 'href="#main"' in page and '<main id="main"' in page
    assert "自治体職員のDXに関する意識醸成研修" in page


def test_every_response_carries_security_headers(anonymous):
    for url in ("/", "/signin", "/no-such-page", "/static/css/app.css"):
        response = anonymous.get(url)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(anonymous, make_person):
    response = anonymous.signin(make_person())
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unknown_page_gets_a_friendly_404_in_japanese(anonymous):
    response = anonymous.get("/no-such-page")
    assert response.status_code == 404
    assert "ページが見つかりません" in text_of(response)


def test_language_switch_is_remembered_for_the_visitor(anonymous):
    response = anonymous.post("/language", {"language": "en", "next": "/signin"})
    assert response.headers["Location"] == "/signin"
    page = text_of(anonymous.get("/signin"))
    assert '<html lang="en">' in page
    assert "Log in" in page and "ログイン" not in page


def test_language_switch_is_remembered_on_the_account(anonymous, make_person, client_for):
    person = make_person()
    user = client_for(person)
    user.post("/language", {"language": "en", "next": "/"})
    assert person.locale == "en"
    other_device = client_for(person)
    assert '<html lang="en">' in text_of(other_device.get("/"))


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(anonymous):
    response = anonymous.post("/language", {"language": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="ja">' in text_of(anonymous.get("/"))


def test_health_check(anonymous):
    assert anonymous.get("/healthz").get_json() == {"status": "ok"}


def test_japanese_only_content_is_marked_as_japanese_on_english_pages(client_for, make_person):
    """Screen readers switch voice for a session's title or a person's name that exists only in Japanese."""
    from tests.planning_helpers import make_session

    session = make_session(title="令和8年度 第1回")
    reader = client_for(make_person("草加市", name="草加 一郎"))
    assert 'lang="ja">令和8年度 第1回<' not in reader.get(f"/sessions/{session.id}").get_data(as_text=True)
    reader.post("/language", {"language": "en", "next": "/"})
    page = reader.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert '<h1><span lang="ja">令和8年度 第1回</span>' in page
    from dxtraining.i18n.marks import japanese

    assert japanese("Session 2", "en") == "Session 2" and japanese("第2回", "ja") == "第2回"  # left alone
