"""The words for an application's status and attendance, shared by pages, rosters and the audit log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "pending": _l("承認待ち"),
    "confirmed": _l("参加確定"),
    "waiting": _l("キャンセル待ち"),
    "declined": _l("見送り"),
    "cancelled": _l("取消"),
}

ATTENDANCE_LABELS = {"attended": _l("出席"), "absent": _l("欠席")}

# The audit reason of a promotion: a record, kept in Japanese like the reasons people type; the audit log shows
# it in the reader's language.
PROMOTED = "キャンセル待ちから繰り上げ"
