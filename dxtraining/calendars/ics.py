"""Building iCalendar files with the `icalendar` library.

Each session day is one VEVENT with a UID that never changes (session and day ids), a SEQUENCE taken
from the session's revision (raised on every change of date, time, place or format), times written
with TZID=Asia/Tokyo and the matching VTIMEZONE, and an alarm the day before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone

from ..database import utcnow
from ..enrollment.models import Enrollment, EnrollmentStatus
from ..i18n.dates import TOKYO
from ..i18n.marks import colon, dash, paren
from ..sessions.models import SessionDay, TrainingSession

PRODID = "-//dxtraining//自治体職員のDXに関する意識醸成研修//JA"
UID_DOMAIN = "dxtraining.saitama-tonan"
REFRESH = timedelta(hours=1)


@lru_cache(maxsize=1)
def tokyo_timezone() -> Timezone:
    """VTIMEZONE for Asia/Tokyo. Building it takes ~80 ms, so it is built once per process."""
    return Timezone.from_tzinfo(TOKYO)


def day_uid(session: TrainingSession, day: SessionDay) -> str:
    return f"session-{session.id}-day-{day.id}@{UID_DOMAIN}"


@dataclass
class Viewer:
    """Who the file is for: decides the language, the meeting URL and the status shown."""

    locale: str = "ja"
    enrollment: Enrollment | None = None  # the reader's own application, in a personal feed or invitation
    waiting_position: int | None = None
    staff_confirmed: int | None = None  # a coordinator's feed: how many of their staff are confirmed

    @property
    def confirmed(self) -> bool:
        return self.enrollment is not None and self.enrollment.status == EnrollmentStatus.confirmed

    @property
    def withdrawn(self) -> bool:
        return self.enrollment is not None and self.enrollment.status in (
            EnrollmentStatus.cancelled,
            EnrollmentStatus.declined,
        )


def _description(session: TrainingSession, day: SessionDay, viewer: Viewer) -> str:
    lines = [session.course.display_title(viewer.locale), session.title, ""]
    if day.blocks:
        lines.append(_("時間割"))
        for block in day.blocks:
            start, end = block.starts_at.astimezone(TOKYO), block.ends_at.astimezone(TOKYO)
            teacher = _("（講師：%(name)s）", name=block.instructor.name) if block.instructor else ""
            lines.append(f"{start:%H:%M}{dash(viewer.locale)}{end:%H:%M} {block.title}{teacher}")
        lines.append("")
    if session.is_online and viewer.confirmed and session.online_url:
        online = _("オンライン")
        lines += [f"{online}{colon(viewer.locale)}{session.online_platform} {session.online_url}", ""]
    if session.access_notes and session.has_venue:
        lines += [session.access_notes, ""]
    lines.append(url_for("sessions.detail", session_id=session.id, _external=True))
    return "\n".join(lines)


def _summary(session: TrainingSession, viewer: Viewer) -> str:
    # Labels are looked up outside f-strings: pybabel on Python 3.11 cannot see calls inside them.
    title = f"{session.course.display_title(viewer.locale)} {session.title}"
    if session.is_cancelled:
        label = _("中止")
        return f"[{label}] {title}"
    if viewer.withdrawn:
        label = _("取消")
        return f"[{label}] {title}"
    if viewer.enrollment is not None and viewer.enrollment.status == EnrollmentStatus.waiting:
        label = _("キャンセル待ち %(n)d番目", n=viewer.waiting_position or 0)
        return f"[{label}] {title}"
    if viewer.enrollment is not None and viewer.enrollment.status == EnrollmentStatus.pending:
        label = _("承認待ち")
        return f"[{label}] {title}"
    if viewer.staff_confirmed is not None:
        count = _("参加確定 %(n)d人", n=viewer.staff_confirmed)
        return f"{title}{paren(count, viewer.locale)}"
    return title


def _location(session: TrainingSession, viewer: Viewer) -> str:
    parts = []
    if session.has_venue:
        parts.append(" ".join(p for p in (session.venue_name, session.venue_room, session.venue_address) if p))
    if session.is_online:
        parts.append(session.online_url if viewer.confirmed and session.online_url else _("オンライン"))
    return " / ".join(parts)


def session_events(session: TrainingSession, viewer: Viewer) -> list[Event]:
    """One VEVENT per day of the session, as this viewer may see it."""
    cancelled = session.is_cancelled or viewer.withdrawn
    # The reader's own changes (withdrawing, applying again, moving up) count as well as the session's: SEQUENCE
    # only ever grows, or a calendar ignores the newer entry.
    sequence = session.revision + (viewer.enrollment.revision if viewer.enrollment else 0)
    events = []
    with force_locale(viewer.locale):
        summary, location = _summary(session, viewer), _location(session, viewer)
        for day in session.days:
            event = Event.new(
                uid=day_uid(session, day),
                summary=summary,
                start=day.starts_at.astimezone(TOKYO),
                end=day.ends_at.astimezone(TOKYO),
                # The data's own time, not the clock: the same data gives the same file (and ETag).
                stamp=session.updated_at.replace(microsecond=0),
                last_modified=session.updated_at,
                sequence=sequence,
                status="CANCELLED"
                if cancelled
                else ("TENTATIVE" if viewer.enrollment and not viewer.confirmed else "CONFIRMED"),
                location=location or None,
                description=_description(session, day, viewer),
                url=url_for("sessions.detail", session_id=session.id, _external=True),
            )
            if not cancelled:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("trigger", timedelta(days=-1))
                alarm.add("description", summary)
                event.add_component(alarm)
            events.append(event)
    return events


def calendar(name: str, key: str, events: list[Event], method: str | None = "PUBLISH") -> bytes:
    """A whole calendar: name, refresh hints for subscribers, the Tokyo VTIMEZONE and the events. `key` names
    what the calendar holds ("session-3", "person-12"): its UID, which two sessions of the same title never share."""
    cal = Calendar.new(prodid=PRODID, name=name, method=method, uid=f"{key}@{UID_DOMAIN}")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")  # Outlook reads this one
    cal.add_component(tokyo_timezone())
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def last_change(sessions: list[TrainingSession], enrollments: list[Enrollment] = ()) -> datetime:
    """The newest change among what a file shows: its Last-Modified."""
    stamps = [s.updated_at for s in sessions] + [e.status_changed_at for e in enrollments]
    return max(stamps, default=utcnow()).replace(microsecond=0)
