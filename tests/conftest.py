"""Fixtures: an app on a real database (SQLite file, or PostgreSQL with DXT_TEST_BACKEND=postgresql),
clean for every test, and clients that sign in through the real sign-in page."""

from __future__ import annotations

import itertools
import os
import re
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import text

from config import TestConfig, database_url
from dxtraining import create_app
from dxtraining.auth.services import set_password
from dxtraining.database import enable_wal, locked_transaction
from dxtraining.extensions import db, limiter
from dxtraining.people.models import Municipality, Person, Rank
from dxtraining.people.reference import load_reference
from dxtraining.people.services import create_person

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _test_database_url(tmp_dir: Path) -> str:
    if os.environ.get("DXT_TEST_BACKEND") == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            raise RuntimeError("DXT_TEST_BACKEND=postgresql needs TEST_DATABASE_URL")
        return database_url(url)
    return f"sqlite:///{tmp_dir / 'test.sqlite'}"


def make_config(url: str, **overrides) -> type[TestConfig]:
    return type("SuiteConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    return _test_database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def _app(database_uri):
    app = create_app(make_config(database_uri))
    with app.app_context():
        db.drop_all()
        db.create_all()
        enable_wal(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


def clean_database() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(_app):
    """The app with an empty database holding only the reference data (municipalities, ranks)."""
    saved = dict(_app.config)  # tests may change settings; each starts from the suite's own
    _app.config.update(TEST_RACE_DELAY=0, LOCKING_ENABLED=True)
    with _app.app_context():
        clean_database()
        load_reference()
        limiter.reset()
        yield _app
        db.session.remove()
    _app.config.clear()
    _app.config.update(saved)


@pytest.fixture
def municipalities(app) -> dict[str, Municipality]:
    """Municipalities by name: municipalities["越谷市"]."""
    return {m.name: m for m in db.session.scalars(db.select(Municipality))}


_counter = itertools.count(1)


@pytest.fixture
def make_person(app, municipalities):
    """Create a confirmed person with PASSWORD: make_person("草加市", rank="staff", coordinator=True)."""

    def make(municipality: str = "越谷市", rank: str | None = "staff", **fields) -> Person:
        m = municipalities[municipality]
        n = next(_counter)
        person = create_person(
            email=fields.pop("email", f"person{n}@{m.domains[0].domain}"),
            name=fields.pop("name", f"職員 {n}号"),
            name_kana=fields.pop("name_kana", f"しょくいん {n}"),
            municipality=m,
            department=fields.pop("department", "総務部 人事課"),
            rank=db.session.scalar(db.select(Rank).where(Rank.code == rank)) if rank else None,
            is_coordinator=fields.pop("coordinator", False),
            is_secretariat=fields.pop("secretariat", False),
            confirmed=fields.pop("confirmed", True),
        )
        set_password(person, fields.pop("password", PASSWORD))
        for key, value in fields.items():
            setattr(person, key, value)
        db.session.commit()
        return person

    return make


class UserClient:
    """A test client that behaves like a browser: keeps cookies and sends the page's CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self._token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.get("/").get_data(as_text=True)
            match = CSRF_RE.search(page)
            assert match, "no CSRF token on the home page"
            self._token = match.group(1) or match.group(2)
        return self._token

    # Tests hold an app context open, and Flask reuses it for requests, so `g` (the signed-in user,
    # the CSRF token) would leak from one client to the next: start each request with an empty `g`.
    @staticmethod
    def _fresh_request() -> None:
        g.__dict__.clear()

    def get(self, url: str, **kwargs):
        self._fresh_request()
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        self._fresh_request()
        return self.client.post(url, data=data, **kwargs)

    def signin(self, person_or_email, password: str = PASSWORD):
        email = person_or_email if isinstance(person_or_email, str) else person_or_email.email
        response = self.post("/signin", {"email": email, "password": password})
        self._token = None  # the session changed; fetch a fresh token next time
        return response


@pytest.fixture
def secretariat(client_for, make_person) -> UserClient:
    """Signed in as the secretariat (越谷市 政策課)."""
    return client_for(make_person("越谷市", secretariat=True))


@pytest.fixture
def anonymous(app) -> UserClient:
    return UserClient(app.test_client())


@pytest.fixture
def client_for(app):
    """A signed-in client for a person: client_for(person)."""

    def make(person: Person) -> UserClient:
        user = UserClient(app.test_client())
        response = user.signin(person)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return make


@contextmanager
def links_age(delta: timedelta):
    """Make emailed links look `delta` older than they are (itsdangerous reads time.time())."""
    import itsdangerous.timed as timed

    real = timed.time

    class Later:
        @staticmethod
        def time() -> float:
            return real.time() + delta.total_seconds()

    timed.time = Later
    try:
        yield
    finally:
        timed.time = real


def text_of(response) -> str:
    return response.get_data(as_text=True)


def words_of(response) -> str:
    """What a reader sees: the page's text without its markup (attribute values such as codes left out)."""
    return re.sub(r"<[^>]+>", "", text_of(response))


def _compile_catalogs() -> None:
    """Tests read the English catalog: build any .mo older than its .po (`make` does the same)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in Path("dxtraining/translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)


_compile_catalogs()


@contextmanager
def lock_held_elsewhere(app, model, ident: int, change=None):
    """Another request locks that row (in its own thread and connection), makes `change` to it if given, and
    holds the lock until the block ends; then it commits."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app.app_context():
            with locked_transaction(model, ident) as row:
                if change is not None:
                    change(row)
                holding.set()
                release.wait(10)
            db.session.remove()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()
