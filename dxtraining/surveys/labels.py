"""Survey codes in words, for the builder and the audit log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import QuestionKind

KIND_LABELS = {
    QuestionKind.rating: _l("5段階評価"),
    QuestionKind.grid: _l("5段階評価の表（複数の項目）"),
    QuestionKind.single: _l("単一選択"),
    QuestionKind.multiple: _l("複数選択"),
    QuestionKind.number: _l("数値"),
    QuestionKind.short_text: _l("短い文章"),
    QuestionKind.long_text: _l("長い文章"),
}
