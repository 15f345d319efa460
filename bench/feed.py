"""How a personal calendar feed scales with its size.

Builds feeds of 1, 10, 50 and 200 sessions (one day each, with a four-block agenda) for one person
through the real route, on a temporary SQLite database, and prints the time per request and per event.
The baseline is the 10-session feed of the same run: per-event time should stay flat as the feed grows.
It also shows what caching the Asia/Tokyo VTIMEZONE saves on every request.

    .venv/bin/python bench/feed.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (1, 10, 50, 200)
ROUNDS = 15


def main() -> None:
    from dxtraining import create_app
    from dxtraining.calendars import ics
    from dxtraining.calendars.services import ensure_token
    from dxtraining.courses.seed import load_course
    from dxtraining.database import enable_wal
    from dxtraining.enrollment.models import Enrollment, EnrollmentStatus
    from dxtraining.extensions import db
    from dxtraining.people.reference import load_reference
    from dxtraining.people.services import create_person, municipalities, ranks
    from dxtraining.sessions.models import AgendaBlock
    from tests.conftest import make_config
    from tests.planning_helpers import make_session

    tmp = tempfile.mkdtemp()
    app = create_app(make_config(f"sqlite:///{tmp}/feed.sqlite"))
    results = {}
    with app.app_context():
        db.create_all()
        enable_wal(db.engine)
        load_reference()
        course = load_course()
        sessions = []
        for _ in range(max(SIZES)):
            session = make_session(course)
            day = session.days[0]
            for i in range(4):
                start = day.starts_at + timedelta(minutes=45 * i)
                day.blocks.append(AgendaBlock(starts_at=start, ends_at=start + timedelta(minutes=40), title=f"講義{i}"))
            sessions.append(session.id)
        db.session.commit()
        client = app.test_client()
        for size in SIZES:
            person = create_person(
                email=f"feed{size}@city.soka.saitama.jp",
                name="計測 太郎",
                municipality=municipalities()[0],
                rank=ranks()[-1],
                confirmed=True,
            )
            person.password_hash = "unused"  # an active account: feeds of inactive accounts are 404
            db.session.flush()
            for session_id in sessions[:size]:
                db.session.add(
                    Enrollment(
                        session_id=session_id,
                        person_id=person.id,
                        municipality_id=person.municipality_id,
                        status=EnrollmentStatus.confirmed,
                    )
                )
            token = ensure_token(person)
            db.session.commit()
            url = f"/calendar/{token}.ics"
            client.get(url)  # warm up
            timings = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200
            results[size] = statistics.median(timings)
        ics.tokyo_timezone.cache_clear()
        started = time.perf_counter()
        ics.tokyo_timezone()
        cold_timezone = time.perf_counter() - started
        started = time.perf_counter()
        ics.tokyo_timezone()
        warm_timezone = time.perf_counter() - started

    baseline = results[10] / 10
    print(f"personal feed, median of {ROUNDS} requests, {os.cpu_count()} CPU cores")
    print(f"{'sessions':>8} {'ms/request':>11} {'ms/event':>9} {'per-event vs 10':>16}")
    for size, seconds in results.items():
        per_event = seconds / size
        print(f"{size:>8} {seconds * 1000:>11.1f} {per_event * 1000:>9.2f} {per_event / baseline:>15.2f}x")
    print(f"VTIMEZONE Asia/Tokyo: built {cold_timezone * 1000:.1f} ms, cached {warm_timezone * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
