"""What the benchmarks share: a fresh database of the kind DATABASE_URL names."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path


def fresh_database(prefix: str, tmp: Path) -> tuple[str, Callable[[], None] | None]:
    """(url, drop): a new SQLite file in `tmp`, or, when DATABASE_URL names a PostgreSQL server, a new
    database on it that `drop()` removes afterwards."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql")):
        return f"sqlite:///{tmp / f'{prefix}.sqlite'}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config import database_url

    name = f"dxt_{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url(given), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(database_url(given)).set(database=name).render_as_string(hide_password=False), drop
