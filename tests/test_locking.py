"""The one "check, then write" helper serialises concurrent writers on both databases."""

from __future__ import annotations

import threading

import pytest

from dxtraining.database import locked_transaction, race_window
from dxtraining.extensions import db
from dxtraining.people.models import Municipality

pytestmark = pytest.mark.concurrency


def _increment(app, municipality_id: int, errors: list) -> None:
    with app.app_context():
        try:
            with locked_transaction("counter", municipality_id):
                municipality = db.session.get(Municipality, municipality_id)
                seen = municipality.sort_order
                race_window()  # another writer would slip in here without the lock
                municipality.sort_order = seen + 1
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            db.session.remove()


def run_concurrently(app, municipality_id: int, writers: int) -> list:
    errors: list = []
    threads = [threading.Thread(target=_increment, args=(app, municipality_id, errors)) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def counter(municipality_id: int) -> int:
    db.session.rollback()  # end this session's own snapshot so the threads' commits are visible
    return db.session.get(Municipality, municipality_id).sort_order


def test_concurrent_check_then_write_loses_nothing(app, municipalities):
    app.config["TEST_RACE_DELAY"] = 0.02
    target = municipalities["八潮市"]
    start = target.sort_order
    db.session.commit()
    errors = run_concurrently(app, target.id, 8)
    assert errors == []
    assert counter(target.id) == start + 8


def test_without_the_lock_concurrent_writers_do_lose_updates(app, municipalities):
    """The negative control: proves the test above would catch a missing lock."""
    app.config.update(TEST_RACE_DELAY=0.05, LOCKING_ENABLED=False)
    target = municipalities["八潮市"]
    start = target.sort_order
    db.session.commit()
    errors = run_concurrently(app, target.id, 4)
    # PostgreSQL lets every writer read the same value (lost updates); SQLite refuses the late writers.
    assert errors or counter(target.id) < start + 4


def test_locked_transaction_rolls_back_on_error(app, municipalities):
    target = municipalities["吉川市"]
    start = target.sort_order
    db.session.commit()
    with pytest.raises(ZeroDivisionError), locked_transaction("counter", target.id):
        db.session.get(Municipality, target.id).sort_order = start + 100
        db.session.flush()
        raise ZeroDivisionError("a rule failed half-way")
    assert counter(target.id) == start


def test_locked_transaction_refuses_unsaved_changes(app, municipalities):
    municipalities["吉川市"].name = "変更途中"
    with pytest.raises(RuntimeError), locked_transaction("counter", 1):
        pass
    db.session.rollback()
