"""The audit log in words: what was done, to what, and the values before and after.

Entries keep codes (`enrollment.status_changed`, `status: confirmed`) so they stay comparable over time and
across languages; the page shows them in the reader's language. An unknown code is shown as it is.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "agenda.block_removed": _l("時間割の項目を削除"),
    "case_study.saved": _l("事例を保存"),
    "course.changed": _l("研修の設定を変更"),
    "course.criterion_added": _l("講師の選定基準を追加"),
    "course.criterion_changed": _l("講師の選定基準を変更"),
    "curriculum.module_added": _l("カリキュラム項目を追加"),
    "curriculum.module_changed": _l("カリキュラム項目を変更"),
    "curriculum.module_moved": _l("カリキュラム項目を移動"),
    "curriculum.module_removed": _l("カリキュラム項目を削除"),
    "enrollment.applied": _l("申込"),
    "enrollment.nominated": _l("研修担当者による推薦"),
    "enrollment.status_changed": _l("申込の状態を変更"),
    "enrollment.reordered": _l("キャンセル待ちの順番を変更"),
    "enrollment.attendance": _l("出欠を記録"),
    "instructor.added": _l("講師を登録"),
    "instructor.changed": _l("講師の情報を変更"),
    "message.retried": _l("メールを再送"),
    "person.created_by_cli": _l("職員を登録（管理コマンド）"),
    "person.email_confirmed": _l("メールアドレスを確認"),
    "person.imported": _l("職員を登録（一括取込）"),
    "person.updated_by_import": _l("職員の情報を更新（一括取込）"),
    "person.profile_changed": _l("プロフィールを変更"),
    "person.rank_changed": _l("職層を変更"),
    "person.roles_changed": _l("役割を変更"),
    "questionnaire.changed": _l("アンケートの設定を変更"),
    "questionnaire.question_added": _l("設問を追加"),
    "questionnaire.question_changed": _l("設問を変更"),
    "questionnaire.question_moved": _l("設問を移動"),
    "questionnaire.question_removed": _l("設問を削除"),
    "questionnaire.section_added": _l("セクションを追加"),
    "session.cancelled": _l("開催回を中止"),
    "session.copied": _l("開催回を複製"),
    "session.created": _l("開催回を作成"),
    "session.format_switched": _l("開催形式を切替"),
    "session.message_sent": _l("参加者へメールを送信"),
    "session.seats_changed": _l("定員と枠を変更"),
    "session.seats_given": _l("枠を譲渡"),
    "session.updated": _l("開催回を変更"),
}

SUBJECTS = {
    "agenda_block": _l("時間割"),
    "case_study": _l("事例"),
    "course": _l("研修"),
    "curriculum_module": _l("カリキュラム項目"),
    "enrollment": _l("申込"),
    "instructor": _l("講師"),
    "instructor_criterion": _l("選定基準"),
    "message": _l("メール"),
    "person": _l("職員"),
    "question": _l("設問"),
    "questionnaire": _l("アンケート"),
    "survey_section": _l("セクション"),
    "training_session": _l("開催回"),
}

FIELDS = {
    "attendance": _l("出欠"),
    "capacity": _l("定員"),
    "format": _l("開催形式"),
    "from": _l("譲り元"),
    "name": _l("氏名"),
    "position": _l("順番"),
    "quotas": _l("枠"),
    "roles": _l("役割"),
    "seats": _l("席数"),
    "status": _l("状態"),
    "title": _l("名称"),
    "to": _l("譲り先"),
}


def _values() -> dict[str, dict[str, Any]]:
    from ..enrollment.labels import ATTENDANCE_LABELS, STATUS_LABELS
    from ..sessions.routes import FORMAT_LABELS

    return {
        "status": STATUS_LABELS,
        "attendance": ATTENDANCE_LABELS,
        "format": {f.value: label for f, label in FORMAT_LABELS.items()},
        "to": {"pool": _l("共通枠（全市町）")},
    }


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def subject_label(table: str) -> str:
    return str(SUBJECTS.get(table, table))


def field_label(key: str) -> str:
    return str(FIELDS.get(key, key))


def value_text(key: str, value: Any, municipality_names: dict[str, str]) -> str:
    """A recorded value in words: statuses and formats by name, municipalities (ids or quotas) by name."""
    if value is None:
        return "—"
    if key == "quotas" and isinstance(value, dict):
        return "、".join(f"{municipality_names.get(str(m), m)} {seats}" for m, seats in value.items())
    if key in ("from", "to") and str(value) in municipality_names:
        return municipality_names[str(value)]
    label = _values().get(key, {}).get(str(value))
    return str(label) if label is not None else str(value)
