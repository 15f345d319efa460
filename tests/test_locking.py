"""The one "check, then write" helper serialises concurrent writers on both databases, and a writer that
waits longer than DB_LOCK_TIMEOUT is told so instead of failing with an error page."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from dxtraining import create_app
from dxtraining.database import RowMissing, is_lock_timeout, locked_transaction, race_window
from dxtraining.enrollment import services as enrollment
from dxtraining.enrollment.models import Enrollment
from dxtraining.extensions import db
from dxtraining.people.models import Municipality, Person
from dxtraining.sessions.models import SessionQuota, TrainingSession
from tests.conftest import UserClient, lock_held_elsewhere, make_config
from tests.planning_helpers import make_session

pytestmark = pytest.mark.concurrency


def _increment(app, municipality_id: int, errors: list) -> None:
    with app.app_context():
        try:
            with locked_transaction(Municipality, municipality_id) as municipality:
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
    with pytest.raises(ZeroDivisionError), locked_transaction(Municipality, target.id) as locked:
        locked.sort_order = start + 100
        db.session.flush()
        raise ZeroDivisionError("a rule failed half-way")
    assert counter(target.id) == start


def test_locked_transaction_refuses_unsaved_changes(app, municipalities):
    municipalities["吉川市"].name = "変更途中"
    with pytest.raises(RuntimeError), locked_transaction(Municipality, municipalities["吉川市"].id):
        pass
    db.session.rollback()


@pytest.fixture
def impatient_app(database_uri):
    """A second app on the same database that waits only 0.3 s for a lock."""
    app = create_app(make_config(database_uri, DB_LOCK_TIMEOUT=0.3))
    yield app
    with app.app_context():
        db.engine.dispose()


def impatient_applicant(impatient_app, person) -> tuple[UserClient, str]:
    """The person signed in on the impatient app, with the token to send with an application."""
    browser = UserClient(impatient_app.test_client())
    assert browser.signin(person).status_code == 302
    return browser, browser.csrf_token()


def test_a_writer_waits_for_the_lock_and_starts_once_it_is_free(app, municipalities):
    target = municipalities["三郷市"]
    start = target.sort_order
    db.session.commit()
    order: list[str] = []
    with lock_held_elsewhere(app, Municipality, target.id):
        waiter = threading.Thread(target=lambda: (_increment(app, target.id, []), order.append("second wrote")))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive(), "the second writer must wait while the lock is held"
        order.append("first committed")
    waiter.join(10)
    assert order == ["first committed", "second wrote"]
    assert counter(target.id) == start + 1


def test_a_writer_that_cannot_get_the_lock_in_time_is_told_so(app, impatient_app, municipalities):
    target = municipalities["三郷市"].id
    db.session.commit()
    with lock_held_elsewhere(app, Municipality, target), impatient_app.app_context():
        with pytest.raises(OperationalError) as raised, locked_transaction(Municipality, target):
            pass
        assert is_lock_timeout(raised.value)
        db.session.remove()


def test_the_lock_is_free_again_after_a_rollback(app, impatient_app, municipalities):
    target = municipalities["三郷市"].id
    with pytest.raises(ZeroDivisionError), locked_transaction(Municipality, target):
        raise ZeroDivisionError("a rule failed")
    with impatient_app.app_context():
        with locked_transaction(Municipality, target):  # would time out after 0.3 s if the lock were still held
            pass
        db.session.remove()


def test_an_applicant_who_waited_too_long_sees_a_busy_page_and_nothing_is_saved(
    app, impatient_app, municipalities, make_person
):
    session = make_session()
    person = make_person("草加市")
    db.session.commit()
    browser, token = impatient_applicant(impatient_app, person)
    with lock_held_elsewhere(app, TrainingSession, session.id):
        response = browser.post(f"/sessions/{session.id}/apply", {"csrf_token": token, "note": ""})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "何も保存されていません" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0


def test_a_locked_session_holds_up_its_own_applicants_and_on_sqlite_every_writer(
    app, impatient_app, municipalities, make_person
):
    """PostgreSQL locks the session's row: applying to another session, or writing a row that merely refers to
    the locked one, goes through at once. SQLite has one write lock for the whole file: every writer waits its
    turn, and one that waits too long is told to try again, with nothing saved."""
    row_locks = db.engine.dialect.name == "postgresql"
    busy = make_session(quotas={municipalities["草加市"].id: 5})
    quiet = make_session()
    person = make_person("草加市")
    db.session.commit()
    browser, token = impatient_applicant(impatient_app, person)
    with lock_held_elsewhere(app, TrainingSession, busy.id):
        response = browser.post(f"/sessions/{quiet.id}/apply", {"csrf_token": token, "note": ""})
        assert response.status_code == (302 if row_locks else 503)
        with impatient_app.app_context():  # a row that refers to the locked session (foreign key)
            db.session.add(SessionQuota(session_id=busy.id, municipality_id=municipalities["松伏町"].id, seats=0))
            if row_locks:
                db.session.commit()
            else:
                with pytest.raises(OperationalError) as waited:
                    db.session.commit()
                assert is_lock_timeout(waited.value)
            db.session.remove()
        assert browser.post(f"/sessions/{busy.id}/apply", {"csrf_token": token, "note": ""}).status_code == 503
    db.session.rollback()
    assert db.session.scalars(select(Enrollment.session_id)).all() == ([quiet.id] if row_locks else [])


def test_rows_read_before_the_lock_are_read_again_inside_it_unless_declared_unchanged(app, municipalities):
    kept, other, locked = municipalities["草加市"], municipalities["越谷市"], municipalities["八潮市"]
    db.session.commit()
    assert (kept.name, other.name) == ("草加市", "越谷市")  # both loaded
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        if statement.startswith("SELECT"):
            statements.append(statement)

    with locked_transaction(Municipality, locked.id, unchanged=(kept,)) as row:
        assert row is locked and row.name == "八潮市"  # the locked row itself, read with the lock
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert kept.name == "草加市"
            assert statements == []
            assert other.name == "越谷市"
            assert statements, "the other row is read again under the lock"
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)


def test_what_was_written_before_the_lock_is_kept_when_the_locked_block_fails(app, municipalities):
    target = municipalities["松伏町"]
    db.session.commit()
    db.session.execute(update(Municipality).where(Municipality.id == target.id).values(sort_order=77))
    with pytest.raises(ZeroDivisionError), locked_transaction(Municipality, municipalities["草加市"].id):
        raise ZeroDivisionError("a rule failed")
    assert counter(target.id) == 77


def test_an_application_is_one_transaction_on_postgresql_and_ends_the_read_first_on_sqlite(
    app, municipalities, make_person
):
    """The rush when applications open: on PostgreSQL what the request read goes on into the locked block (a
    COMMIT and a BEGIN fewer); SQLite must end its read transaction to ask for the write lock."""
    session = make_session(capacity=2, quotas={municipalities["草加市"].id: 1})
    applicant = make_person("草加市")
    db.session.commit()
    applicant = db.session.get(Person, applicant.id)  # read, as the request reads the signed-in person
    commits: list[object] = []

    def count(connection) -> None:
        commits.append(connection)

    event.listen(db.engine, "commit", count)
    try:
        assert enrollment.apply(applicant, session.id).status == "confirmed"
    finally:
        event.remove(db.engine, "commit", count)
    assert len(commits) == (1 if db.engine.dialect.name == "postgresql" else 2)


@pytest.mark.parametrize("how", ["text", "textual select"])
def test_whatever_wrote_before_the_block_does_not_fall_with_it(app, municipalities, how):
    """On PostgreSQL a transaction that has only read goes on into the block; one that did anything more is
    committed first, as on SQLite, however the SQL was written."""
    from sqlalchemy import column, text

    target, other = municipalities["松伏町"], municipalities["草加市"]
    db.session.commit()
    if how == "text":
        db.session.execute(text("UPDATE municipality SET sort_order = 88 WHERE id = :id"), {"id": target.id})
    else:
        db.session.execute(
            text("UPDATE municipality SET sort_order = 88 WHERE id = :id RETURNING id").columns(column("id")),
            {"id": target.id},
        ).all()
    with pytest.raises(ZeroDivisionError), locked_transaction(Municipality, other.id):
        raise ZeroDivisionError("a rule failed")
    assert counter(target.id) == 88


def test_the_block_reads_what_others_committed_since_the_request_first_read(database_uri, municipalities):
    """Even where the server's default isolation is REPEATABLE READ: the app asks for READ COMMITTED, so a
    request's earlier reads never leave the locked block looking at an old snapshot."""
    options = {}
    if database_uri.startswith("postgresql"):
        strict = "-c default_transaction_isolation=repeatable\\ read"
        options["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "connect_args": {"options": strict}}
    locked, other = municipalities["三郷市"].id, municipalities["吉川市"].id
    db.session.commit()
    app = create_app(make_config(database_uri, **options))
    with app.app_context():
        before = db.session.get(Municipality, other).sort_order  # the request reads first
        with db.engine.begin() as elsewhere:  # another request changes that row and commits
            elsewhere.execute(update(Municipality).where(Municipality.id == other).values(sort_order=before + 5))
        with locked_transaction(Municipality, locked):
            assert db.session.get(Municipality, other).sort_order == before + 5
        db.session.remove()
        db.engine.dispose()


def test_audit_entries_and_messages_of_a_locked_block_are_written_together_as_it_commits(app, make_person):
    """Every round trip under a session's lock holds up everyone applying after: the block's audit entries and
    messages go in one statement on PostgreSQL (two in-process ones on SQLite), with their defaults, and
    stand or fall with the block."""
    from dxtraining.audit.models import AuditEntry
    from dxtraining.audit.services import record
    from dxtraining.notifications.models import Message, MessageStatus
    from dxtraining.notifications.services import notify

    session = make_session()
    person = make_person("草加市")
    db.session.commit()
    assert isinstance(notify(person, "password_reset", {"link": "x"}), int)  # outside a block: written at once
    db.session.commit()
    logged = db.session.scalar(select(func.count(AuditEntry.id)))  # the session's creation
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    with pytest.raises(ZeroDivisionError), locked_transaction(TrainingSession, session.id):
        record("session.updated", session, after={"title": "x"})
        notify(person, "session_changed", {"session": session})
        raise ZeroDivisionError("a rule failed")
    assert db.session.scalar(select(func.count(AuditEntry.id))) == logged  # fell with the block
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with locked_transaction(TrainingSession, session.id) as locked:
            record("session.updated", locked, after={"title": "y"})
            assert notify(person, "session_changed", {"session": locked}) is None  # kept for the end
            record("session.updated", locked, after={"title": "z"})
            assert statements[-1].lstrip().startswith("SELECT")  # nothing written yet
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    writes = [s for s in statements if "INSERT" in s]
    assert len(writes) == (1 if db.engine.dialect.name == "postgresql" else 2)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[logged:]
    assert [e.after["title"] for e in entries] == ["y", "z"] and all(e.at is not None for e in entries)
    message = db.session.scalar(select(Message).where(Message.kind == "session_changed"))
    assert message.status == MessageStatus.queued and message.next_attempt_at is not None


def test_writers_still_take_turns_when_the_queue_file_cannot_be_opened(tmp_path):
    """The lock file is an optimisation: if another OS user owns it, SQLite's own lock serialises writers."""
    (tmp_path / "other.sqlite-writer").mkdir()  # cannot be opened as a file
    other = create_app(make_config(f"sqlite:///{tmp_path / 'other.sqlite'}"))
    with other.app_context():
        db.create_all()
        db.session.add(Municipality(code="999999", name="試験町", name_en="Test", sort_order=99))
        db.session.commit()
        with locked_transaction(Municipality, 1) as town:
            town.sort_order = 100
        db.session.rollback()
        assert db.session.get(Municipality, 1).sort_order == 100
        db.session.remove()
        db.engine.dispose()


def test_locking_a_row_that_does_not_exist_runs_nothing_and_holds_nothing(app, impatient_app, municipalities):
    other = municipalities["三郷市"].id
    ran = []
    with pytest.raises(RowMissing), locked_transaction(Municipality, 999_999):
        ran.append("the block")
    assert ran == []
    with impatient_app.app_context():  # would time out after 0.3 s if the lock were still held
        with locked_transaction(Municipality, other):
            pass
        db.session.remove()


def test_a_periodic_job_leaves_a_busy_session_for_the_next_run(app, impatient_app, municipalities, make_person):
    soka = municipalities["草加市"].id
    busy, free = make_session(capacity=1, quotas={soka: 1}), make_session(capacity=1, quotas={soka: 1})
    for session in (busy, free):
        for _ in range(2):  # one confirmed, one waiting
            enrollment.apply(make_person("草加市"), session.id)
        session.capacity, session.quotas[0].seats = 2, 2  # a seat more, not handed out yet
    db.session.commit()
    with lock_held_elsewhere(app, TrainingSession, busy.id), impatient_app.app_context():
        # PostgreSQL locks only the busy session; SQLite's one write lock leaves both for the next run
        assert enrollment.release_due() == (1 if db.engine.dialect.name == "postgresql" else 0)
        db.session.remove()
    assert enrollment.release_due() == (1 if db.engine.dialect.name == "postgresql" else 2)
