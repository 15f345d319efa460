"""Calendar invitations attached to mail (iTIP, RFC 5546): REQUEST to add or update, CANCEL to remove.

They use the same UIDs as the feeds, so a mail client and a subscribed calendar update one entry.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from icalendar import vCalAddress

from ..enrollment.models import EnrollmentStatus
from ..enrollment.services import enrollment_of, waiting_position
from ..people.models import Person
from .ics import Viewer, calendar, session_events

REQUEST_KINDS = {"enrollment_confirmed", "enrollment_promoted", "session_format_changed", "session_changed"}
CANCEL_KINDS = {"enrollment_cancelled", "session_cancelled"}


def invitation_for(kind: str, context: dict[str, Any], person: Person | None, locale: str) -> dict | None:
    """The .ics attachment a message of this kind carries, or None."""
    session = context.get("session")
    if person is None or session is None or kind not in REQUEST_KINDS | CANCEL_KINDS:
        return None
    enrollment = context.get("enrollment") or enrollment_of(person, session.id)
    if kind in REQUEST_KINDS and (enrollment is None or enrollment.status != EnrollmentStatus.confirmed):
        return None  # only people holding a seat get an entry in their calendar...
    if kind == "session_cancelled" and (enrollment is None or enrollment.status != EnrollmentStatus.confirmed):
        return None  # ...so only they have one to remove
    if kind == "enrollment_cancelled" and not context.get("held_seat", True):
        return None
    method = "REQUEST" if kind in REQUEST_KINDS else "CANCEL"
    viewer = Viewer(
        locale=locale, enrollment=enrollment, waiting_position=waiting_position(enrollment) if enrollment else None
    )
    events = session_events(session, viewer)
    organizer = vCalAddress("mailto:" + current_app.config["MAIL_SENDER"].rsplit("<", 1)[-1].rstrip(">").strip())
    for event in events:
        if method == "CANCEL":  # whatever the application's status when the mail is written (re-applied since?)
            event["STATUS"] = "CANCELLED"
        event.add("organizer", organizer)
        event.add("attendee", vCalAddress(f"mailto:{person.email}"), parameters={"ROLE": "REQ-PARTICIPANT"})
    return {
        "filename": "invite.ics",
        "content_type": "text/calendar",
        "params": {"method": method, "charset": "utf-8"},
        "content": calendar(session.title, f"session-{session.id}", events, method=method).decode(),
    }
