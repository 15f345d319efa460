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
