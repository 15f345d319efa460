"""Never overbook: concurrent requests for the last seat, proved the way pretix does it.

A test-only delay between the check and the write (race_window) widens the race; with the lock on,
exactly one request wins; with it off, both do (on PostgreSQL) or the late one fails (SQLite).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from dxtraining.database import utcnow
from dxtraining.enrollment import services
from dxtraining.enrollment.models import Enrollment, EnrollmentStatus
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.sessions.models import EnrollmentMode, TrainingSession
from dxtraining.sessions.services import cancel_session
from tests.conftest import lock_held_elsewhere
from tests.planning_helpers import make_session, session_form

pytestmark = pytest.mark.concurrency


def run_together(app, calls) -> list:
    """Run each call in its own thread with its own app context (its own database connection)."""
    outcomes: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def worker(index, call):
        with app.app_context():
            try:
                barrier.wait()
                outcomes[index] = call()
            except Exception as error:  # collected for the assertions
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.rollback()  # see what the threads committed
    return outcomes


def confirmed(session_id: int) -> dict[int, int]:
    rows = db.session.execute(
        db.select(Enrollment.municipality_id, db.func.count(Enrollment.id))
        .where(Enrollment.session_id == session_id, Enrollment.status == EnrollmentStatus.confirmed)
        .group_by(Enrollment.municipality_id)
    ).all()
    return dict(rows)


def apply_as(person_id: int, session_id: int):
    from dxtraining.people.models import Person

    return lambda: services.apply(db.session.get(Person, person_id), session_id).status


@pytest.fixture
def slow_race(app):
    app.config["TEST_RACE_DELAY"] = 0.05


def test_without_the_lock_two_applicants_both_take_the_last_seat(app, municipalities, make_person, slow_race):
    """The negative control: shows the race is real, so the tests below prove the lock."""
    app.config["LOCKING_ENABLED"] = False
    soka = municipalities["草加市"].id
    session = make_session(capacity=1, quotas={soka: 1})
    people = [make_person("草加市").id for _ in range(2)]
    outcomes = run_together(app, [apply_as(p, session.id) for p in people])
    if db.engine.dialect.name == "postgresql":
        assert confirmed(session.id).get(soka) == 2, outcomes  # overbooked
    else:
        # SQLite serialises writers itself: the late transaction fails instead of overbooking
        assert any(isinstance(o, Exception) for o in outcomes) or confirmed(session.id).get(soka) == 2


def test_last_quota_seat_goes_to_exactly_one(app, municipalities, make_person, slow_race):
    soka = municipalities["草加市"].id
    session = make_session(capacity=1, quotas={soka: 1})
    people = [make_person("草加市").id for _ in range(4)]
    outcomes = run_together(app, [apply_as(p, session.id) for p in people])
    assert sorted(str(o) for o in outcomes) == ["confirmed", "waiting", "waiting", "waiting"]
    assert confirmed(session.id) == {soka: 1}


def test_last_pool_seat_goes_to_exactly_one(app, municipalities, make_person, slow_race):
    soka, yashio = municipalities["草加市"].id, municipalities["八潮市"].id
    session = make_session(capacity=1, quotas={soka: 0, yashio: 0})  # one pool seat
    people = [make_person("草加市").id, make_person("八潮市").id, make_person("八潮市").id]
    outcomes = run_together(app, [apply_as(p, session.id) for p in people])
    assert sorted(str(o) for o in outcomes) == ["confirmed", "waiting", "waiting"]
    assert sum(confirmed(session.id).values()) == 1


def test_promotion_racing_a_new_application(app, municipalities, make_person, slow_race):
    soka = municipalities["草加市"].id
    session = make_session(capacity=1, quotas={soka: 1})
    holder = make_person("草加市")
    holding = services.apply(holder, session.id)
    waiting = services.apply(make_person("草加市"), session.id)
    newcomer = make_person("草加市").id
    holder_id, holding_id = holder.id, holding.id

    def cancel():
        from dxtraining.people.models import Person

        return services.cancel(holding_id, session.id, db.session.get(Person, holder_id))

    outcomes = run_together(app, [cancel, apply_as(newcomer, session.id)])
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert confirmed(session.id) == {soka: 1}
    db.session.refresh(waiting)
    # whoever came first, the one already waiting keeps the right to the freed seat
    assert waiting.status == EnrollmentStatus.confirmed


def test_two_coordinators_approving_at_once(app, municipalities, make_person, slow_race):
    soka = municipalities["草加市"].id
    session = make_session(capacity=1, quotas={soka: 1}, enrollment_mode=EnrollmentMode.approval)
    a, b = services.apply(make_person("草加市"), session.id), services.apply(make_person("草加市"), session.id)
    coordinators = [make_person("草加市", coordinator=True).id for _ in range(2)]

    def approve(enrollment_id, coordinator_id):
        from dxtraining.people.models import Person

        return lambda: services.decide(enrollment_id, session.id, db.session.get(Person, coordinator_id), True).status

    outcomes = run_together(app, [approve(a.id, coordinators[0]), approve(b.id, coordinators[1])])
    assert sorted(str(o) for o in outcomes) == ["confirmed", "waiting"]
    assert confirmed(session.id) == {soka: 1}


def test_double_submit_creates_one_application(app, municipalities, make_person):
    session = make_session(capacity=5, quotas={municipalities["草加市"].id: 5})
    person = make_person("草加市").id
    outcomes = run_together(app, [apply_as(person, session.id) for _ in range(3)])
    assert sum(o == EnrollmentStatus.confirmed for o in outcomes) == 1
    assert all(isinstance(o, services.EnrollmentRefused) for o in outcomes if o != EnrollmentStatus.confirmed)
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 1


# Pages that change a session wait for the seat lock and act on the session as it is then ------------------


def while_changed_under_the_lock(app, session_id: int, change, request):
    """Another request holds the session's lock and makes `change`; `request` starts meanwhile (it reads the
    session, then waits for the lock) and goes on once the change is committed. Returns its response."""
    response: list = []

    def wait_and_go() -> None:
        with app.app_context():
            response.append(request())
            db.session.remove()

    waiter = threading.Thread(target=wait_and_go)
    with lock_held_elsewhere(app, TrainingSession, session_id, change=change):
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive(), "the request must wait for the seat lock"
    waiter.join(10)
    db.session.rollback()  # see what both committed
    return response[0]


def test_an_edit_that_waited_for_the_lock_keeps_the_seats_changed_meanwhile(app, secretariat, municipalities):
    soka = municipalities["草加市"].id
    session = make_session(capacity=10, quotas={soka: 5})
    db.session.commit()

    def fewer_seats(locked):
        locked.capacity = 6
        locked.quotas[0].seats = 3

    form = session_form(municipalities, venue_name="越谷市役所")
    form.pop("capacity")  # an edit does not change seats: the seats page does
    secretariat.csrf_token()  # the form as the browser has it
    response = while_changed_under_the_lock(
        app, session.id, fewer_seats, lambda: secretariat.post(f"/sessions/{session.id}/edit", form)
    )
    assert response.status_code == 302
    db.session.refresh(session)
    assert (session.venue_name, session.capacity, session.quotas[0].seats) == ("越谷市役所", 6, 3)


def test_two_secretaries_cancelling_at_once_cancel_once_and_tell_everyone_once(
    app, secretariat, make_person, municipalities
):
    session = make_session()
    person = make_person("草加市")
    services.apply(person, session.id)
    db.session.commit()
    secretariat.csrf_token()  # the form as the browser has it
    response = while_changed_under_the_lock(
        app,
        session.id,
        lambda locked: cancel_session(locked, "台風接近のため"),
        lambda: secretariat.post(f"/sessions/{session.id}/cancel", {"reason": "会場の都合"}),
    )
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.cancel_reason == "台風接近のため"
    told = db.session.scalars(db.select(Message.kind).where(Message.person_id == person.id)).all()
    assert told.count("session_cancelled") == 1


def test_a_format_switch_that_waited_for_a_cancellation_is_refused_and_tells_nobody(
    app, secretariat, make_person, municipalities
):
    session = make_session()
    services.apply(make_person("草加市"), session.id)
    db.session.commit()
    secretariat.csrf_token()  # the form as the browser has it
    switch = {"format": "online", "online_url": "https://meet.example.jp/r", "reason": "感染状況を考慮"}
    response = while_changed_under_the_lock(
        app,
        session.id,
        lambda locked: cancel_session(locked, "台風接近のため"),
        lambda: secretariat.post(f"/sessions/{session.id}/format", switch, follow_redirects=True),
    )
    # SQLite's writer waits before reading anything and is turned back at once; PostgreSQL's waits at the row
    assert "この開催回は中止されています" in response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.format.value == "in_person"
    kinds = db.session.scalars(db.select(Message.kind)).all()
    assert "session_format_changed" not in kinds


def test_attendance_that_waited_for_a_withdrawal_is_not_recorded_for_it(app, client_for, make_person):
    session = make_session()
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)  # on the day
    person = make_person("草加市")
    enrollment = services.apply(person, session.id)
    db.session.commit()
    coordinator = client_for(make_person("草加市", coordinator=True))
    coordinator.csrf_token()

    def withdrawn(locked):
        db.session.get(Enrollment, enrollment.id).status = EnrollmentStatus.cancelled

    response = while_changed_under_the_lock(
        app,
        session.id,
        withdrawn,
        lambda: coordinator.post(
            f"/sessions/{session.id}/attendance/112216", {f"attendance-{enrollment.id}": "attended"}
        ),
    )
    assert response.status_code == 302
    db.session.refresh(enrollment)
    assert (enrollment.status, enrollment.attendance) == (EnrollmentStatus.cancelled, None)
