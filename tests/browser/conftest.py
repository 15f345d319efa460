"""Browser tests: the app served from a thread of the test process, driven by Debian's Chromium."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from dxtraining import create_app
from dxtraining.database import enable_wal
from dxtraining.extensions import db
from dxtraining.people.reference import load_reference
from tests.conftest import clean_database, make_config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Merge into pytest-playwright's defaults so its command-line options still apply.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe-core is injected as a script, which the app's Content-Security-Policy (rightly) forbids.
    return {**browser_context_args, "bypass_csp": True, "accept_downloads": True, "locale": "ja-JP"}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app on a temporary SQLite file, as `make run` would serve it."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite"
    app = create_app(make_config(f"sqlite:///{path}", SERVER_NAME=None))
    with app.app_context():
        db.create_all()
        enable_wal(db.engine)
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture
def live(live_app, live_server):
    """A clean database with reference data; yields the base URL while an app context is open for setup."""
    with live_app.app_context():
        clean_database()
        load_reference()
        yield live_server
        db.session.remove()
