"""The words for a session's format and how its places are given, shared by pages and the audit log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..courses.models import SessionFormat
from .models import EnrollmentMode

FORMAT_LABELS = {
    SessionFormat.in_person: _l("集合形式"),
    SessionFormat.online: _l("オンライン形式"),
    SessionFormat.hybrid: _l("集合・オンライン併用"),
}
MODE_LABELS = {
    EnrollmentMode.first_come: _l("先着順（各市町の枠内）"),
    EnrollmentMode.approval: _l("研修担当者の承認制"),
}
