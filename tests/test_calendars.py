"""Calendar files: every file the app serves parses, keeps its UIDs, and stays right when plans change."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from dxtraining.calendars import services as calendar_services
from dxtraining.courses.models import SessionFormat
from dxtraining.enrollment import services
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.notifications.services import as_email, render
from dxtraining.sessions.services import DayPlan, cancel_session, switch_format
from tests.conftest import text_of
from tests.planning_helpers import jst, make_session

URL = "https://meet.example.jp/dx-secret-room"
NODE_TOOLS = Path(__file__).parent / "js"


def parse(response) -> Calendar:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def events(cal: Calendar) -> list:
    return list(cal.walk("VEVENT"))


def feed_url(client) -> str:
    page = text_of(client.get("/my/calendar"))
    return "/calendar/" + page.split("/calendar/", 1)[1].split(".ics", 1)[0] + ".ics"


@pytest.fixture
def hybrid(municipalities):
    return make_session(
        format=SessionFormat.hybrid,
        online_url=URL,
        online_platform="Zoom",
        capacity=1,
        quotas={municipalities["草加市"].id: 1},
    )


def test_session_file_has_timezone_stable_uids_and_no_meeting_url(client_for, make_person, hybrid):
    user = client_for(make_person())
    first, second = (parse(user.get(f"/sessions/{hybrid.id}/calendar.ics")) for _ in range(2))
    assert [str(e["UID"]) for e in events(first)] == [str(e["UID"]) for e in events(second)]
    assert first.walk("VTIMEZONE")[0]["TZID"] == "Asia/Tokyo"
    event = events(first)[0]
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=9)
    assert event.decoded("DTSTART") == hybrid.days[0].starts_at
    assert URL not in first.to_ical().decode()
    assert first["METHOD"] == "PUBLISH"
    assert str(first["X-WR-CALNAME"]) and str(first["NAME"])
    assert first["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(first["X-PUBLISHED-TTL"]) == "PT1H"
    assert event.walk("VALARM")[0].decoded("TRIGGER") == timedelta(days=-1)


def test_the_session_file_of_a_confirmed_person_carries_their_seat_and_the_meeting_url(client_for, make_person, hybrid):
    confirmed, waiting = make_person("草加市"), make_person("草加市")
    for person in (confirmed, waiting):
        services.apply(person, hybrid.id)  # one seat: the second waits
    mine = parse(client_for(confirmed).get(f"/sessions/{hybrid.id}/calendar.ics"))
    assert URL in str(events(mine)[0]["LOCATION"]) and str(events(mine)[0]["STATUS"]) == "CONFIRMED"
    theirs = parse(client_for(waiting).get(f"/sessions/{hybrid.id}/calendar.ics"))
    assert URL not in theirs.to_ical().decode() and str(events(theirs)[0]["STATUS"]) == "TENTATIVE"
    twin = make_session(title=hybrid.title)  # two sessions of the same name are two calendars
    other = parse(client_for(waiting).get(f"/sessions/{twin.id}/calendar.ics"))
    assert str(other["UID"]) != str(mine["UID"])


def test_a_three_day_session_is_three_events(client_for, make_person, municipalities):
    days = [DayPlan(jst(2027, 3, d, 13, 30), jst(2027, 3, d, 16, 30)) for d in (2, 3, 4)]
    session = make_session(
        days=days,
        applications_open_at=jst(2027, 1, 1),
        applications_close_at=jst(2027, 2, 20),
        cancellation_deadline=jst(2027, 2, 25),
        release_at=jst(2027, 2, 15),
    )
    cal = parse(client_for(make_person()).get(f"/sessions/{session.id}/calendar.ics"))
    assert len(events(cal)) == 3
    assert len({str(e["UID"]) for e in events(cal)}) == 3


def test_personal_feed_shows_the_meeting_url_only_to_the_confirmed(app, client_for, make_person, hybrid, anonymous):
    confirmed, waiting = make_person("草加市"), make_person("草加市")
    for person in (confirmed, make_person("草加市"), waiting):
        services.apply(person, hybrid.id)
    confirmed_feed = parse(anonymous.get(feed_url(client_for(confirmed))))
    waiting_feed = parse(anonymous.get(feed_url(client_for(waiting))))
    assert URL in confirmed_feed.to_ical().decode()
    assert URL not in waiting_feed.to_ical().decode()
    assert "キャンセル待ち 2番目" in str(events(waiting_feed)[0]["SUMMARY"])
    assert events(confirmed_feed)[0]["STATUS"] == "CONFIRMED"


def test_format_switch_raises_sequence_by_one_and_keeps_the_uid(client_for, make_person, municipalities, anonymous):
    session = make_session()
    person = make_person("草加市")
    services.apply(person, session.id)
    url = feed_url(client_for(person))
    before = events(parse(anonymous.get(url)))[0]
    switch_format(session, SessionFormat.online, "感染状況を考慮", None, online_url=URL)
    db.session.commit()
    after = events(parse(anonymous.get(url)))[0]
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert URL in str(after["LOCATION"])


def test_cancellations_stay_in_the_feed_as_cancelled(client_for, make_person, municipalities, anonymous):
    session, other = make_session(), make_session()
    person = make_person("草加市")
    mine = services.apply(person, session.id)
    services.apply(person, other.id)
    url = feed_url(client_for(person))
    services.cancel(mine.id, session.id, person)
    cancel_session(other, "講師の急病")
    db.session.commit()
    by_uid = {str(e["UID"]): e for e in events(parse(anonymous.get(url)))}
    assert {e["STATUS"] for e in by_uid.values()} == {"CANCELLED"}
    assert all(not e.walk("VALARM") for e in by_uid.values())


def test_revoked_token_is_404_and_a_token_shows_only_its_owner(client_for, make_person, hybrid, anonymous):
    alice, bob = make_person("草加市", name="有栖 花子"), make_person("越谷市", name="坊 太郎")
    services.apply(alice, hybrid.id)
    alice_client = client_for(alice)
    old = feed_url(alice_client)
    assert "有栖" not in anonymous.get(old).get_data(as_text=True)  # names never go into feeds
    assert alice_client.post("/my/calendar/reset").status_code == 302
    assert anonymous.get(old).status_code == 404
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404
    bob_feed = parse(anonymous.get(feed_url(client_for(bob))))
    assert events(bob_feed) == []


def test_repeated_requests_get_304(client_for, make_person, hybrid, anonymous):
    person = make_person("草加市")
    services.apply(person, hybrid.id)
    url = feed_url(client_for(person))
    first = anonymous.get(url)
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = anonymous.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_japanese_text_is_folded_without_breaking_characters(client_for, make_person, hybrid):
    raw = client_for(make_person()).get(f"/sessions/{hybrid.id}/calendar.ics").data
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character split across a fold


def test_coordinator_feed_counts_their_staff(client_for, make_person, hybrid, anonymous):
    services.apply(make_person("草加市"), hybrid.id)
    coordinator = make_person("草加市", coordinator=True)
    token = calendar_services.ensure_token(coordinator)
    db.session.commit()
    cal = parse(anonymous.get(f"/calendar/{token}/municipality.ics"))
    assert "参加確定 1人" in str(events(cal)[0]["SUMMARY"])
    employee = make_person("草加市")
    calendar_services.ensure_token(employee)
    db.session.commit()
    assert anonymous.get(f"/calendar/{employee.calendar_token}/municipality.ics").status_code == 404


def test_confirmation_and_cancellation_mails_carry_request_and_cancel(app, make_person, hybrid):
    person = make_person("草加市")
    enrollment = services.apply(person, hybrid.id)
    render(db.session.scalar(db.select(Message)))  # the sender writes the confirmation before the change below
    db.session.commit()
    services.cancel(enrollment.id, hybrid.id, person)
    messages = db.session.scalars(db.select(Message).order_by(Message.id)).all()
    invites = {}
    for message in messages:
        mail = as_email(render(message), "DX研修事務局 <dx@localhost>")
        for part in mail.iter_attachments():
            cal = Calendar.from_ical(part.get_content())
            invites[message.kind] = (part.get_param("method"), cal)
    (request_method, request), (cancel_method, cancel) = (
        invites["enrollment_confirmed"],
        invites["enrollment_cancelled"],
    )
    assert request_method == "REQUEST" and request["METHOD"] == "REQUEST"
    assert cancel_method == "CANCEL" and cancel["METHOD"] == "CANCEL"
    [invite], [withdrawal] = events(request), events(cancel)
    assert invite["UID"] == withdrawal["UID"]
    assert withdrawal["SEQUENCE"] > invite["SEQUENCE"]
    services.apply(person, hybrid.id)  # applying again: the entry comes back only if its SEQUENCE is higher still
    again = render(db.session.scalars(db.select(Message).order_by(Message.id.desc())).first())
    [renewed] = events(Calendar.from_ical(again.attachments[0]["content"]))
    assert again.kind == "enrollment_confirmed" and renewed["SEQUENCE"] > withdrawal["SEQUENCE"]
    assert URL in request.to_ical().decode()  # the confirmed person's invitation has the meeting link
    assert str(invite["ATTENDEE"]) == f"mailto:{person.email}"
    parsed = email.message_from_bytes(bytes(as_email(messages[0], "x <x@localhost>")))
    assert parsed.is_multipart()


def test_every_calendar_file_parses_in_ical_js(app, client_for, make_person, hybrid, anonymous, tmp_path):
    """A second, independent parser: ical.js, which Thunderbird uses, run under node."""
    node = shutil.which("node")
    assert node, "node is needed for this test (make test installs the tools)"
    assert (NODE_TOOLS / "node_modules" / "ical.js").exists(), "run `make node-tools`"
    person = make_person("草加市")
    services.apply(person, hybrid.id)
    user = client_for(person)
    coordinator = make_person("草加市", coordinator=True)
    token = calendar_services.ensure_token(coordinator)
    db.session.commit()
    files = {
        "session": user.get(f"/sessions/{hybrid.id}/calendar.ics").data,
        "course": user.get(f"/courses/{hybrid.course_id}/calendar.ics").data,
        "personal": anonymous.get(feed_url(user)).data,
        "municipality": anonymous.get(f"/calendar/{token}/municipality.ics").data,
    }
    paths = []
    for name, data in files.items():
        path = tmp_path / f"{name}.ics"
        path.write_bytes(data)
        paths.append(str(path))
    result = subprocess.run(
        [node, str(NODE_TOOLS / "validate_ics.mjs"), *paths], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    parsed = json.loads(result.stdout)
    start = hybrid.days[0].starts_at.isoformat().replace("+00:00", "")
    for entry in parsed:
        assert entry["events"], entry
        event = entry["events"][0]
        assert event["tzid"] == "Asia/Tokyo"
        assert event["startUtc"].startswith(start[:16]), (event, start)


def test_only_someone_who_held_a_seat_gets_a_calendar_cancellation(app, make_person, hybrid):
    """Waiting or pending people never got an entry (only a seat brings one): nothing to remove for them."""
    from dxtraining.sessions.models import TrainingSession

    seated, waiting, withdrawing = make_person("草加市"), make_person("草加市"), make_person("草加市")
    for person in (seated, waiting, withdrawing):
        services.apply(person, hybrid.id)  # one seat: the other two wait
    services.cancel(services.enrollment_of(withdrawing, hybrid.id).id, hybrid.id, withdrawing)
    cancel_session(db.session.get(TrainingSession, hybrid.id), "台風")
    db.session.commit()

    def invitation(person, kind):
        message = db.session.scalar(db.select(Message).where(Message.person_id == person.id, Message.kind == kind))
        return render(message).attachments

    assert invitation(withdrawing, "enrollment_cancelled") == []
    assert invitation(waiting, "session_cancelled") == []
    [cancel] = invitation(seated, "session_cancelled")
    assert cancel["params"]["method"] == "CANCEL"


def test_a_cancellation_mail_written_after_applying_again_still_cancels(app, make_person, hybrid):
    person = make_person("草加市")
    held = services.apply(person, hybrid.id)
    services.cancel(held.id, hybrid.id, person)
    services.apply(person, hybrid.id)  # before the sender has written the cancellation
    message = db.session.scalar(db.select(Message).where(Message.kind == "enrollment_cancelled"))
    [attachment] = render(message).attachments
    [event] = events(Calendar.from_ical(attachment["content"]))
    assert attachment["params"]["method"] == "CANCEL" and event["STATUS"] == "CANCELLED"
