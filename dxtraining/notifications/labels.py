"""What each kind of message is, in words: the outbox shows it until the message is written at sending."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "account_exists": _l("登録済みアカウントのお知らせ"),
    "custom_message": _l("事務局からのお知らせ"),
    "email_confirmation": _l("メールアドレスの確認"),
    "enrollment_awaiting_approval": _l("申込の承認のお願い"),
    "enrollment_cancelled": _l("申込の取消"),
    "enrollment_confirmed": _l("参加確定のお知らせ"),
    "enrollment_declined": _l("申込見送りのお知らせ"),
    "enrollment_pending": _l("申込受付（承認待ち）"),
    "enrollment_promoted": _l("繰り上げ確定のお知らせ"),
    "enrollment_waiting": _l("キャンセル待ち受付"),
    "invitation": _l("利用開始のご案内"),
    "password_reset": _l("パスワードの再設定"),
    "session_cancelled": _l("開催中止のお知らせ"),
    "session_changed": _l("日時・会場の変更"),
    "session_format_changed": _l("開催形式の変更"),
    "session_reminder": _l("開催前のお知らせ"),
    "survey_invitation": _l("アンケートのお願い"),
    "survey_reminder": _l("アンケートの再依頼"),
}
