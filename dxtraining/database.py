"""Database plumbing: aware timestamps, SQLite's connection settings, and the one "check, then write" helper.

Every rule that reads something and then writes because of it (seats, waiting lists, approvals) runs
inside `locked_transaction`, so two requests can never both see the last seat as free:
SQLite takes its write lock first (BEGIN IMMEDIATE), PostgreSQL a lock on the row the rule hangs on.
On SQLite, writers queue for that lock on a lock file (SQLiteConnection) rather than in SQLite's
sleep-and-retry busy handler; a writer that waits longer than DB_LOCK_TIMEOUT gets `is_lock_timeout`.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import DateTime, Engine, Table, bindparam, event, insert, literal, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator

from .extensions import db

IMMEDIATE = "dxtraining_begin_immediate"
M = TypeVar("M")


def utcnow() -> datetime:
    """The current time, aware, in UTC (the only form timestamps are stored in)."""
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator):
    """A timestamp that is always aware: UTC in the database, `datetime` with tzinfo in Python.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so the UTC value is stored naive there.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SQLiteConnection(sqlite3.Connection):
    """pysqlite's connection, which also queues writers on a lock file beside the database.

    When SQLite finds its write lock taken, the waiting connection sleeps and retries (after 1, 2, 5, 10 …
    up to 100 ms), so under a rush the lock often lies free while every waiter sleeps. A writer here first
    takes an flock on `<database>-writer` (held from BEGIN IMMEDIATE until COMMIT or ROLLBACK, and dropped
    by the kernel if the process dies), polling every few hundred microseconds, and so starts the moment
    the previous writer has committed; SQLite's own lock is then free.
    """

    writer_lock_path: str | None = None
    _writer_fd: int | None = None
    _holds_writer_lock = False

    def take_writer_lock(self, timeout: float) -> None:
        if self.writer_lock_path is None:
            return
        if self._writer_fd is None:
            try:
                self._writer_fd = _open_lock_file(self.writer_lock_path)
            except OSError as error:  # e.g. another OS user made it: SQLite's own lock still serialises writers
                logging.getLogger(__name__).warning("writers do not queue on %s: %s", self.writer_lock_path, error)
                self.writer_lock_path = None
                return
        deadline = time.monotonic() + timeout
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.0005)
            else:
                self._holds_writer_lock = True
                return

    def release_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer_lock()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None


def _open_lock_file(path: str) -> int:
    """Open (or create) the writer lock file with the database file's permissions, as SQLite does for -wal."""
    database = path.removesuffix("-writer")
    mode = os.stat(database).st_mode & 0o666 if os.path.exists(database) else 0o600
    return os.open(path, os.O_RDWR | os.O_CREAT, mode)


def engine_options(app: Flask) -> None:
    """Engine settings that depend on the database.

    SQLite: connections are SQLiteConnection, and need no pre-ping (a file cannot drop a connection).
    PostgreSQL: every connection waits at most DB_LOCK_TIMEOUT for a lock (seat locks included), set once
    per connection rather than once per transaction.
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    connect_args = {**options.get("connect_args", {})}
    if uri.startswith("sqlite"):
        options.pop("pool_pre_ping", None)
        connect_args["factory"] = SQLiteConnection
    elif uri.startswith("postgresql"):
        timeout_ms = int(app.config["DB_LOCK_TIMEOUT"] * 1000)
        connect_args["options"] = f"{connect_args.get('options', '')} -c lock_timeout={timeout_ms}".strip()
        # Each statement reads what is committed when it starts, whatever the server's default: locked_transaction
        # relies on it to read under the lock within a transaction that began before.
        options["isolation_level"] = "READ COMMITTED"
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def configure_engine(app: Flask) -> None:
    """Per-connection settings; on SQLite also take over BEGIN so a transaction can ask for the write lock.
    On PostgreSQL, note on each connection whether its transaction has written (see locked_transaction)."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        _note_writes(engine)
        return
    timeout = app.config["DB_LOCK_TIMEOUT"]
    timeout_ms = int(timeout * 1000)
    database = engine.url.database
    # A plain file path only: no lock file for in-memory databases or `file:` URIs.
    lock_path = (
        f"{database}-writer" if database and database != ":memory:" and not database.startswith("file:") else None
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # SQLAlchemy's recipe for real SQLite transactions: pysqlite must not emit BEGIN itself.
        dbapi_connection.isolation_level = None
        if isinstance(dbapi_connection, SQLiteConnection):
            dbapi_connection.writer_lock_path = lock_path
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if not connection.get_execution_options().get(IMMEDIATE, False):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        if isinstance(dbapi_connection, SQLiteConnection):
            try:
                dbapi_connection.take_writer_lock(timeout)
            except sqlite3.OperationalError as error:  # as SQLite itself would report it, once wrapped
                raise OperationalError("BEGIN IMMEDIATE", None, error) from error
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if isinstance(dbapi_connection, SQLiteConnection):
                dbapi_connection.release_writer_lock()
            raise


# Requests that do without the request-wide write lock: sign-in verifies a slow password hash before it
# writes, the language switch writes without reading first, and applying (the rush when applications
# open) writes only inside its own locked_transaction, so other requests wait for its seat decision alone.
NO_WRITE_LOCK_ENDPOINTS = {"auth.signin", "main.switch_language", "enrollment.apply"}


def take_write_lock_for_writes(app: Flask) -> None:
    """On SQLite, a request that may write (anything but GET) takes the write lock when it starts.

    A transaction that reads first and writes later fails at once with "database is locked" if another
    writer committed in between (SQLite does not wait in that case); starting with BEGIN IMMEDIATE makes
    it wait its turn instead. PostgreSQL needs none of this.
    """
    if db.engine.dialect.name != "sqlite":
        return

    @app.before_request
    def _begin_immediate() -> None:
        from flask import request

        if request.method not in ("GET", "HEAD", "OPTIONS") and request.endpoint not in NO_WRITE_LOCK_ENDPOINTS:
            session = db.session()  # the request's Session behind the scoped proxy
            if not session.in_transaction():
                session.connection(execution_options={IMMEDIATE: True})


def enable_wal(engine: Engine) -> None:
    """Switch a SQLite file to write-ahead logging; stored in the file, so done once at creation or upgrade."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # Outside any transaction: the raw connection is in autocommit mode (see _on_connect).
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()


WROTE = "dxtraining_wrote"


def _note_writes(engine: Engine) -> None:
    """Keep `connection.info[WROTE]` true from the first statement of a transaction that is not a plain read
    until the transaction ends. Counted as writes, to be safe: INSERT, UPDATE, DELETE, any textual SQL, a
    SELECT that locks rows (FOR UPDATE / FOR SHARE) or carries a data-modifying WITH."""

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.info.pop(WROTE, None)

    @event.listens_for(engine, "after_cursor_execute")
    def _after_execute(connection, _cursor, _statement, _parameters, context, _executemany) -> None:
        if not _plain_read(getattr(context, "compiled", None)):
            connection.info[WROTE] = True


def _plain_read(compiled) -> bool:
    if compiled is None or not compiled.statement.is_select or getattr(compiled.statement, "_is_textual", False):
        return False
    if getattr(compiled.statement, "_for_update_arg", None) is not None:
        return False
    return not any(getattr(cte.element, "is_dml", False) for cte in getattr(compiled, "ctes", None) or ())


def _has_written(session) -> bool:
    """Has the session's open transaction written anything (PostgreSQL only: see _note_writes)?"""
    return session.in_transaction() and session.connection().info.get(WROTE, False)


PENDING = "dxtraining_pending_rows"


def insert_row(table: Table, values: dict[str, Any]) -> int | None:
    """Insert one row (an audit entry, an outbox message) in the current transaction; returns its id.

    Inside a `locked_transaction` the row is written with the block's other such rows just before the block
    commits instead, returning None: on PostgreSQL they all go in one statement, because every round trip
    made under a session's lock holds up everyone applying after. They stand or fall with the block all the
    same; only the block itself cannot read them back."""
    session = db.session()
    pending = session.info.get(PENDING)
    if pending is not None:
        pending.append((table, values))
        return None
    return session.execute(insert(table), values).inserted_primary_key[0]


def _write_pending(session) -> None:
    """The rows `insert_row` kept back: one multi-row INSERT per table (ids follow the order given); on
    PostgreSQL all of them in one statement (data-modifying WITH clauses); SQLite, in-process, takes them one
    statement at a time."""
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for table, values in session.info.get(PENDING) or ():
        row = _with_defaults(table, values)
        groups.setdefault((table, tuple(sorted(row))), []).append(row)
    session.info[PENDING] = None
    if len(groups) > 1 and session.get_bind().dialect.name == "postgresql":
        shape = tuple((table, keys, len(rows)) for (table, keys), rows in groups.items())
        params = {
            f"g{g}r{r}_{key}": value
            for g, rows in enumerate(groups.values())
            for r, row in enumerate(rows)
            for key, value in row.items()
        }
        session.execute(_together(shape), params)
        return
    for (table, _keys), rows in groups.items():
        session.execute(insert(table), rows)


@functools.lru_cache(maxsize=64)
def _together(shape: tuple[tuple[Table, tuple[str, ...], int], ...]):
    """One statement inserting so many rows of these tables and columns, its values bound as g<g>r<r>_<column>:
    built once per shape, so that SQLAlchemy can reuse its compiled form (one holding the values cannot)."""
    inserts = []
    for g, (table, keys, count) in enumerate(shape):
        rows = [{key: bindparam(f"g{g}r{r}_{key}", type_=table.c[key].type) for key in keys} for r in range(count)]
        # One row as a plain VALUES: SQLAlchemy caches its compiled form (not a multi-row one's).
        inserts.append(insert(table).values(rows[0] if count == 1 else rows).cte(f"rows_{g}"))
    return select(literal(1)).add_cte(*inserts)


def _with_defaults(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """The row with the columns' Python-side defaults filled in, as a one-row INSERT would (a multi-row INSERT
    inside WITH would leave them out)."""
    row = dict(values)
    for column in table.columns:
        default = column.default
        if column.key not in row and default is not None and not column.primary_key:
            row[column.key] = default.arg(None) if default.is_callable else default.arg
    return row


class RowMissing(LookupError):
    """The row a locked_transaction was to lock does not exist (shown as 404 Not Found)."""


@contextmanager
def locked_transaction(model: type[M], ident: int, *, unchanged: tuple = ()) -> Iterator[M]:
    """Run a check-then-write block alone: lock the row `ident` of `model`, the row the rule hangs on (a
    session's seats, a person's account), and yield it, read afresh under the lock; RowMissing if there is
    no such row. No other `locked_transaction` on the same row runs between this block's reads and its commit.

    SQLite takes its database-wide write lock (BEGIN IMMEDIATE); PostgreSQL locks the row itself with
    SELECT ... FOR NO KEY UPDATE, which reads it in the same statement and does not block inserts that
    merely refer to it (foreign keys take FOR KEY SHARE). Both wait at most DB_LOCK_TIMEOUT.

    Commits when the block ends, rolls everything back if it raises. Whatever the request wrote before is
    committed first, so it does not stand or fall with the block. What it had read is read again when the
    block uses it, except the rows in `unchanged`: rows the lock does not protect (the signed-in person, say)
    that the block may use as read, saving a query inside the lock. On SQLite the request's transaction
    always ends first (SQLite's write lock is asked for at BEGIN); on PostgreSQL a transaction that has only
    read goes on into the block, a COMMIT and a BEGIN fewer, since each statement there reads what is
    committed when it starts.
    """
    session = db.session
    # Unsaved ORM changes would be committed without the lock. (Call record() and notify() inside the block, so
    # that they stand or fall with its decision: insert_row writes them as the block commits.)
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("locked_transaction must start with no unsaved changes in the session")
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite or _has_written(session()):
        _commit_keeping_values(session())
    keep = {id(row) for row in unchanged}
    for row in list(session.identity_map.values()):
        if id(row) not in keep:
            session.expire(row)
    locking = current_app.config.get("LOCKING_ENABLED", True)
    session().info[PENDING] = []  # audit entries and messages: written together at the end (insert_row)
    try:
        if locking and sqlite:
            session.connection(execution_options={IMMEDIATE: True})
        row = session.get(
            model, ident, populate_existing=True, with_for_update={"key_share": True} if locking else None
        )
        if row is None:
            raise RowMissing(f"{model.__name__} {ident}")
        yield row
        _write_pending(session())
        _commit_keeping_values(session())
    except BaseException:
        session.rollback()
        raise
    finally:
        session().info[PENDING] = None


def _commit_keeping_values(session) -> None:
    """Commit without expiring what was read. At the end of a locked block that is what was just committed
    (read under the lock), and reading it again to show the outcome would cost a query per object."""
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


@contextmanager
def unless_busy(what: str) -> Iterator[None]:
    """For periodic jobs, around one row's locked_transaction: if another writer holds that row longer than
    DB_LOCK_TIMEOUT, leave it for the next run (nothing of it was saved) instead of stopping the whole run."""
    try:
        yield
    except OperationalError as error:
        if not is_lock_timeout(error):
            raise
        logging.getLogger(__name__).warning("%s is busy; left for the next run", what)


def is_lock_timeout(error: OperationalError) -> bool:
    """Did the statement give up waiting for another writer's lock (DB_LOCK_TIMEOUT)?"""
    if isinstance(error.orig, sqlite3.OperationalError):
        return "database is locked" in str(error.orig)
    return getattr(error.orig, "sqlstate", None) == "55P03"  # PostgreSQL: lock_not_available


def race_window() -> None:
    """Called by services between their check and their write. Tests widen it to prove the lock holds."""
    delay = current_app.config.get("TEST_RACE_DELAY", 0)
    if delay:
        time.sleep(delay)
