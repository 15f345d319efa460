"""The audit log in words: what was done, to what, and the values before and after.

Entries keep codes (`enrollment.status_changed`, `status: confirmed`) so they stay comparable over time and
across languages; the page shows them in the reader's language. An unknown code is shown as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..enrollment.labels import ATTENDANCE_LABELS, PROMOTED, STATUS_LABELS
from ..i18n.dates import format_datetime, format_time_range
from ..i18n.locale import current_locale
from ..sessions.labels import FORMAT_LABELS, MODE_LABELS
from ..surveys.labels import KIND_LABELS

ACTIONS = {
    "agenda.block_added": _l("時間割に項目を追加"),
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
    "instructor.assessed": _l("講師を選定基準で評価"),
    "instructor.changed": _l("講師の情報を変更"),
    "message.retried": _l("メールを再送"),
    "person.created_by_cli": _l("職員を登録（管理コマンド）"),
    "person.email_confirmed": _l("メールアドレスを確認"),
    "person.imported": _l("職員を登録（一括取込）"),
    "person.invitation_completed": _l("招待からパスワードを設定"),
    "person.password_reset_completed": _l("パスワードを再設定"),
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
    "questionnaire.section_changed": _l("セクションの見出しを変更"),
    "questionnaire.section_moved": _l("セクションを移動"),
    "questionnaire.section_removed": _l("セクションを削除"),
    "session.cancelled": _l("開催回を中止"),
    "session.copied": _l("開催回を複製"),
    "session.created": _l("開催回を新規作成"),
    "session.format_switched": _l("開催形式を切替"),
    "session.message_sent": _l("参加者へメールを送信"),
    "session.seats_changed": _l("定員と枠を変更"),
    "session.seats_given": _l("枠を譲渡"),
    "session.updated": _l("開催回を変更"),
}

# Each with the row's number: "開催回 12".
SUBJECTS = {
    "agenda_block": _l("時間割 %(id)s"),
    "case_study": _l("事例 %(id)s"),
    "course": _l("研修 %(id)s"),
    "criterion_assessment": _l("講師の評価 %(id)s"),
    "curriculum_module": _l("カリキュラム項目 %(id)s"),
    "enrollment": _l("申込 %(id)s"),
    "instructor": _l("講師 %(id)s"),
    "instructor_criterion": _l("選定基準 %(id)s"),
    "message": _l("メール %(id)s"),
    "person": _l("職員 %(id)s"),
    "question": _l("設問 %(id)s"),
    "questionnaire": _l("アンケート %(id)s"),
    "survey_section": _l("セクション %(id)s"),
    "training_session": _l("開催回 %(id)s"),
}

FIELDS = {
    "access_notes": _l("アクセス・配慮事項"),
    "affiliation": _l("所属・役職"),
    "allow_other": _l("「その他」と自由記入"),
    "anonymous": _l("匿名"),
    "applications_close_at": _l("申込締切"),
    "applications_open_at": _l("申込開始"),
    "attendance": _l("出欠"),
    "awareness_key": _l("意識の指標"),
    "cancellation_deadline": _l("キャンセル期限"),
    "capacity": _l("定員"),
    "contact": _l("連絡先"),
    "cost": _l("費用"),
    "criteria_text": _l("講師選定基準"),
    "criterion": _l("選定基準の項目"),
    "days": _l("開催日時"),
    "default_capacity": _l("定員（既定値）"),
    "default_format": _l("開催形式（既定値）"),
    "default_quota": _l("各市町の枠（既定値）"),
    "department": _l("所属"),
    "description": _l("説明"),
    "enrollment_mode": _l("申込の方式"),
    "evidence": _l("根拠"),
    "format": _l("開催形式"),
    "format_description": _l("形式"),
    "from": _l("譲り元"),
    "from_session": _l("複製元の開催回"),
    "help": _l("補足"),
    "help_en": _l("補足（英語）"),
    "instructor": _l("講師"),
    "intro": _l("説明"),
    "intro_en": _l("説明（英語）"),
    "is_coordinator": _l("研修担当者"),
    "is_secretariat": _l("事務局"),
    "job_title": _l("職名"),
    "kind": _l("種類"),
    "locale": _l("表示言語"),
    "max_length": _l("最大文字数"),
    "max_rank_id": _l("対象とする職層の上限"),
    "max_value": _l("最大値"),
    "met": _l("基準を満たす"),
    "min_value": _l("最小値"),
    "modules": _l("関連するカリキュラム項目"),
    "municipality_id": _l("市町"),
    "name": _l("氏名"),
    "name_kana": _l("ふりがな"),
    "online_platform": _l("オンライン会議の種類"),
    "online_url": _l("オンライン会議のURL"),
    "open_days": _l("回答期間（日）"),
    "options": _l("選択肢の一覧"),
    "outcome": _l("効果"),
    "parent_id": _l("親項目"),
    "period": _l("時期"),
    "planned_minutes": _l("予定時間（分）"),
    "position": _l("順番"),
    "profile": _l("プロフィール"),
    "purpose": _l("目的"),
    "quotas": _l("枠"),
    "rank_limits": _l("市町ごとの職層の上限"),
    "rank_id": _l("職層"),
    "recipients": _l("宛先"),
    "release_at": _l("枠の開放日時"),
    "remind_days_before_close": _l("締切の何日前にリマインダー"),
    "required": _l("回答必須"),
    "roles": _l("役割"),
    "rows": _l("表の項目"),
    "seats": _l("席数"),
    "section_id": _l("区分"),
    "status": _l("状態"),
    "subject": _l("件名"),
    "summary": _l("概要"),
    "target": _l("対象"),
    "target_description": _l("対象"),
    "text": _l("文面"),
    "text_en": _l("文面（英語）"),
    "theme": _l("テーマ"),
    "title": _l("名称"),
    "title_en": _l("名称（英語）"),
    "to": _l("譲り先"),
    "unmet_criteria": _l("満たさない選定基準"),
    "venue_address": _l("住所"),
    "venue_name": _l("会場名"),
    "venue_room": _l("部屋"),
    "wants_session_reminders": _l("研修前日のリマインダー"),
    "wants_survey_reminders": _l("アンケート期限前のリマインダー"),
}


VALUES = {
    "status": STATUS_LABELS,
    "attendance": ATTENDANCE_LABELS,
    "format": {f.value: label for f, label in FORMAT_LABELS.items()},
    "default_format": {f.value: label for f, label in FORMAT_LABELS.items()},
    "kind": {k.value: label for k, label in KIND_LABELS.items()},
    "locale": {"ja": "日本語", "en": "English"},
    "enrollment_mode": {m.value: label for m, label in MODE_LABELS.items()},
    "to": {"pool": _l("共通枠（全市町）")},
}

# Fields holding a moment, kept as text in ISO form; "days" holds "start/end" pairs.
MOMENTS = {"applications_open_at", "applications_close_at", "cancellation_deadline", "release_at"}

# Fields holding one value per municipality (by id): how a municipality's value reads.
PER_MUNICIPALITY = {
    "quotas": lambda municipality, seats, names: _(
        "%(municipality)s %(seats)s席", municipality=municipality, seats=seats
    ),
    "rank_limits": lambda municipality, rank_id, names: _(
        "%(field)s：%(value)s",
        field=municipality,
        value=names.get("rank", {}).get(str(rank_id), rank_id) if rank_id else _("研修の設定どおり"),
    ),
}

# Fields whose values are ids of reference rows, shown by name: which names (see `change_text`).
REFERENCES = {
    "from": "municipality",
    "to": "municipality",
    "municipality_id": "municipality",
    "quotas": "municipality",
    "rank_limits": "municipality",
    "rank_id": "rank",
    "max_rank_id": "rank",
    "criterion": "criterion",
    "unmet_criteria": "criterion",
}


# Reasons the system itself writes (kept in Japanese, like the reasons people type), in the reader's language.
REASONS = {PROMOTED: _l("キャンセル待ちから繰り上げ")}


def reason_text(reason: str) -> str:
    """A reason in the reader's language when the system wrote it; a person's reason as they typed it."""
    return str(REASONS.get(reason, reason))


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def subject_label(table: str, ident: int | None) -> str:
    label = SUBJECTS.get(table)
    if label is None:
        return f"{table} {ident or ''}".strip()
    return str(label) % {"id": ident or ""}


def change_text(key: str, value: Any, names: dict[str, dict[str, str]]) -> str:
    """One recorded change in words: "状態：参加確定" (statuses, formats, municipalities and ranks by name, choices
    by their label; yes/no). `names` holds the names of reference rows by table and id: {"rank": {"3": "係長級"}}."""
    return _("%(field)s：%(value)s", field=str(FIELDS.get(key, key)), value=_value(key, value, names))


def _value(key: str, value: Any, names: dict[str, dict[str, str]]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    known = names.get(REFERENCES.get(key, ""), {})
    if key in PER_MUNICIPALITY and isinstance(value, dict):
        return _("、").join(PER_MUNICIPALITY[key](known.get(str(m), m), v, names) for m, v in value.items())
    if isinstance(value, list):
        return _("、").join(_value(key, v, names) for v in value)
    if (key in MOMENTS or key == "days") and isinstance(value, str):
        try:
            if key in MOMENTS:
                return format_datetime(datetime.fromisoformat(value), current_locale())
            start, end = (datetime.fromisoformat(part) for part in value.split("/", 1))
            return format_time_range(start, end, current_locale())
        except ValueError:  # not what the app writes: shown as it is
            return value
    if isinstance(value, dict) and "label" in value:  # a choice or a row of a survey question
        return str(value.get("label_en") or value["label"]) if current_locale() == "en" else str(value["label"])
    if str(value) in known:
        return known[str(value)]
    label = VALUES.get(key, {}).get(str(value))
    return str(label) if label is not None else str(value)
