"""Database plumbing: aware timestamps, SQLite's connection settings, and the one "check, then write" helper.

Every rule that reads something and then writes because of it (seats, waiting lists, approvals) runs
inside `locked_transaction`, so two requests can never both see the last seat as free:
SQLite takes its write lock first (BEGIN IMMEDIATE), PostgreSQL a transaction-scoped advisory lock.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import DateTime, Engine, event, text
from sqlalchemy.types import TypeDecorator

from .extensions import db

IMMEDIATE = "dxtraining_begin_immediate"


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


def configure_engine(app: Flask) -> None:
    """Per-connection settings; on SQLite also take over BEGIN so a transaction can ask for the write lock."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    timeout_ms = int(app.config["DB_LOCK_TIMEOUT"] * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # SQLAlchemy's recipe for real SQLite transactions: pysqlite must not emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# Requests that only read before they write nothing worth a lock: sign-in verifies a slow password hash.
NO_WRITE_LOCK_ENDPOINTS = {"auth.signin", "main.switch_language"}


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


def _lock_key(scope: str) -> int:
    return zlib.crc32(scope.encode()) & 0x7FFFFFFF


@contextmanager
def locked_transaction(scope: str, ident: int) -> Iterator[None]:
    """Run a check-then-write block alone: no other `locked_transaction` for the same scope and ident
    runs between its reads and its commit.

    Commits when the block ends, rolls everything back if it raises. Whatever the request had read
    before is committed first, so the lock is taken at the start of a fresh transaction.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("locked_transaction must start with no unsaved changes in the session")
    session.commit()
    if current_app.config.get("LOCKING_ENABLED", True):
        session.connection(execution_options={IMMEDIATE: True})
        if session.get_bind().dialect.name == "postgresql":
            timeout_ms = int(current_app.config["DB_LOCK_TIMEOUT"] * 1000)
            session.execute(text(f"SET LOCAL lock_timeout = {timeout_ms}"))
            session.execute(
                text("SELECT pg_advisory_xact_lock(:scope, :ident)"),
                {"scope": _lock_key(scope), "ident": ident},
            )
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def race_window() -> None:
    """Called by services between their check and their write. Tests widen it to prove the lock holds."""
    delay = current_app.config.get("TEST_RACE_DELAY", 0)
    if delay:
        time.sleep(delay)
