"""Rosters as files Excel opens correctly: CSV in UTF-8 with BOM, and XLSX."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n.dates import iso
from ..people.models import Municipality, Person
from .models import Enrollment

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text Excel would run as a formula (= + - @) gets a leading apostrophe, so it is shown, never run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def status_label(enrollment: Enrollment) -> str:
    labels = {
        "pending": _("承認待ち"),
        "confirmed": _("参加確定"),
        "waiting": _("キャンセル待ち"),
        "declined": _("見送り"),
        "cancelled": _("取消"),
    }
    return labels[enrollment.status.value]


def attendance_label(enrollment: Enrollment) -> str:
    if enrollment.attendance is None:
        return ""
    return _("出席") if enrollment.attendance.value == "attended" else _("欠席")


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
        .order_by(Municipality.sort_order, Enrollment.status, Person.name_kana, Enrollment.id)
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
        _("申込日時"),
        _("出欠"),
    ]
    rows: list[list[object]] = [header]
    for e in db.session.scalars(query).unique():
        person = e.person
        rows.append(
            [
                safe_cell(v)
                for v in (
                    person.municipality.name,
                    person.department,
                    person.rank.name if person.rank else "",
                    person.name,
                    person.name_kana,
                    person.email,
                    status_label(e),
                    iso(e.applied_at),
                    attendance_label(e),
                )
            ]
        )
    return rows


def as_csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[list[object]], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31] or "roster"
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
