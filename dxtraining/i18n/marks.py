"""Punctuation that differs between the languages: Japanese sets labels and asides with full-width marks
(氏名：…, 承認待ち（3）, 13:30～16:30), English with its own."""

from __future__ import annotations

from markupsafe import Markup


def colon(locale: str) -> str:
    return "：" if locale == "ja" else ": "


def dash(locale: str) -> str:
    """Between the two ends of a range of times."""
    return "～" if locale == "ja" else "–"


def paren(text, locale: str) -> Markup:
    """An aside after a word; `text` is escaped unless it is markup already."""
    return (Markup("（%s）") if locale == "ja" else Markup(" (%s)")) % text


def japanese(text, locale: str) -> Markup | str:
    """Text that may exist only in Japanese (a session's title, a person's name) marked as Japanese on English
    pages, so that screen readers switch voice (WCAG 3.1.2, language of parts); unchanged otherwise."""
    if locale == "ja" or not text or not any(_is_japanese(ch) for ch in str(text)):
        return text
    return Markup('<span lang="ja">%s</span>') % text


def _is_japanese(ch: str) -> bool:
    return "\u3000" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"
