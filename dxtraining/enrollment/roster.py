"""Rosters as files Excel opens correctly: CSV in UTF-8 with BOM, and XLSX."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import marks
from ..i18n.dates import to_tokyo
from ..i18n.locale import current_locale
from ..people.models import Municipality, Person
from .labels import ATTENDANCE_LABELS, STATUS_LABELS
from .models import Enrollment, EnrollmentStatus

# Rows by municipality, then as the coordinator reads them: confirmed, pending, the waiting list in its order
# (its 順番 column), then declined and cancelled.
STATUS_ORDER = [
    EnrollmentStatus.confirmed,
    EnrollmentStatus.pending,
    EnrollmentStatus.waiting,
    EnrollmentStatus.declined,
    EnrollmentStatus.cancelled,
]
_status_rank = case({status: rank for rank, status in enumerate(STATUS_ORDER)}, value=Enrollment.status)
_waiting = Enrollment.status == EnrollmentStatus.waiting
# The waiting list as services.waiting_line orders it: place in line, then time of application.
_line_order = (case((_waiting, Enrollment.queue_rank)), case((_waiting, Enrollment.applied_at)))

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text Excel would run as a formula (= + - @) gets a leading apostrophe, so it is shown, never run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def status_label(enrollment: Enrollment) -> str:
    """The status in words; a withdrawal after the cancellation deadline says so (it counts in the follow-up)."""
    label = str(STATUS_LABELS[enrollment.status.value])
    if enrollment.status == EnrollmentStatus.cancelled and enrollment.late_cancellation:
        return label + marks.paren(_("期限後"), current_locale()).unescape()
    return label


def attendance_label(enrollment: Enrollment) -> str:
    return "" if enrollment.attendance is None else str(ATTENDANCE_LABELS[enrollment.attendance.value])


def roster_rows(session_id: int, municipality_id: int | None) -> list[list[object]]:
    """Header and one row per application, in one query."""
    query = (
        select(Enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .join(Municipality, Municipality.id == Enrollment.municipality_id)
        .where(Enrollment.session_id == session_id)
        .options(
            joinedload(Enrollment.person).joinedload(Person.rank),
            joinedload(Enrollment.person).joinedload(Person.municipality),
        )
        .order_by(Municipality.sort_order, _status_rank, *_line_order, Person.name_kana, Enrollment.id)
    )
    if municipality_id is not None:
        query = query.where(Enrollment.municipality_id == municipality_id)
    header = [
        _("市町"),
        _("所属"),
        _("職層"),
        _("氏名"),
        _("ふりがな"),
        _("メールアドレス"),
        _("状態"),
        _("キャンセル待ち順"),
        _("申込日時"),
        _("出欠"),
    ]
    rows: list[list[object]] = [header]
    place: dict[int, int] = {}
    locale = current_locale()  # names in the language of the headers
    for e in db.session.scalars(query).unique():
        person = e.person
        if e.status == EnrollmentStatus.waiting:
            place[e.municipality_id] = place.get(e.municipality_id, 0) + 1
        rows.append(
            [
                safe_cell(v)
                for v in (
                    person.municipality.display_name(locale),
                    person.department,
                    person.rank.display_name(locale) if person.rank else "",
                    person.name,
                    person.name_kana,
                    person.email,
                    status_label(e),
                    place[e.municipality_id] if e.status == EnrollmentStatus.waiting else "",
                    to_tokyo(e.applied_at).replace(tzinfo=None),  # Japan time, as Excel shows it
                    attendance_label(e),
                )
            ]
        )
    return rows


DATETIME_FORMAT = "%Y/%m/%d %H:%M"  # what Excel in Japan reads as a date and time


def as_csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([v.strftime(DATETIME_FORMAT) if isinstance(v, datetime) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def file_name(session, municipality: Municipality | None, fmt: str) -> str:
    """名簿_<first day>_<session>[_<municipality>].<fmt>: a coordinator's downloads say what they hold."""
    parts = [_("名簿")]
    if session.days:
        parts.append(to_tokyo(session.starts_at).strftime("%Y%m%d"))
    parts.append(session.title)
    if municipality is not None:
        parts.append(municipality.display_name(current_locale()))
    name = "_".join(re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", part).strip() for part in parts if part)
    return f"{name[:120]}.{fmt}"


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: none of \\ / ? * [ ] :, at most 31 characters."""
    return re.sub(r"[\\/?*\[\]:]", "_", title)[:31].strip("' ") or "roster"


def as_xlsx(rows: list[list[object]], title: str) -> bytes:
    """The rows as a workbook. Control characters, which an XLSX cannot hold, are left out (forms refuse them;
    this keeps a file downloadable whatever older data holds)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(title)
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy/mm/dd hh:mm"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
