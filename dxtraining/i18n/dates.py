"""The one place dates and times are written for people.

Japanese: the era calendar with the weekday, 令和5年2月1日（水）, year one written 元年.
English, and anywhere a machine reads the value: the Gregorian calendar.
Babel cannot do the era calendar (it only carries Gregorian CLDR data), hence this small table.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .marks import dash

TOKYO = ZoneInfo("Asia/Tokyo")

# (first day, name) newest first. 明治 is counted from its Gregorian adoption (明治6年 = 1873).
ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Shōwa"),
    (date(1912, 7, 30), "大正", "Taishō"),
    (date(1873, 1, 1), "明治", "Meiji"),
)
ERA_START_YEAR = {"令和": 2019, "平成": 1989, "昭和": 1926, "大正": 1912, "明治": 1868}
WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_tokyo(value: datetime) -> datetime:
    """An aware datetime in Japan time."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: store and pass aware datetimes only")
    return value.astimezone(TOKYO)


def era_year(day: date) -> tuple[str, int]:
    """The era and the year within it: era_year(date(2019, 5, 1)) == ("令和", 1)."""
    for first_day, name, _ in ERAS:
        if day >= first_day:
            return name, day.year - ERA_START_YEAR[name] + 1
    raise ValueError(f"{day} is before the Gregorian calendar was adopted in Japan")


def wareki_year(day: date) -> str:
    """令和5年, 令和元年; a year before the eras of the Gregorian calendar stays as it is (1868年)."""
    try:
        era, year = era_year(day)
    except ValueError:
        return f"{day.year}年"
    return f"{era}{'元' if year == 1 else year}年"


def fiscal_year(day: date) -> int:
    """The Gregorian year in which the fiscal year (年度, April to March) containing `day` starts."""
    return day.year if day.month >= 4 else day.year - 1


def format_fiscal_year(day: date, locale: str = "ja") -> str:
    """令和5年度 / FY2023.

    A fiscal year takes the era in force after its first weeks: April 2019 to March 2020 is officially
    令和元年度, although it began in 平成31年; 1 June falls after every era change made in April or May.
    """
    year = fiscal_year(day)
    return f"{wareki_year(date(year, 6, 1))[:-1]}年度" if locale == "ja" else f"FY{year}"


def format_date(value: date | datetime, locale: str = "ja", weekday: bool = True) -> str:
    """令和5年2月1日（水） / Wed, 1 Feb 2023."""
    day = to_tokyo(value).date() if isinstance(value, datetime) else value
    if locale == "ja":
        text = f"{wareki_year(day)}{day.month}月{day.day}日"
        return f"{text}（{WEEKDAYS_JA[day.weekday()]}）" if weekday else text
    text = f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{WEEKDAYS_EN[day.weekday()]}, {text}" if weekday else text


def format_time(value: time | datetime) -> str:
    """13:30, in Japan time; the 24-hour clock is usual in both languages here."""
    moment = to_tokyo(value).time() if isinstance(value, datetime) else value
    return f"{moment.hour}:{moment.minute:02d}"


def format_datetime(value: datetime, locale: str = "ja") -> str:
    """令和5年2月1日（水）13:30 / Wed, 1 Feb 2023 13:30."""
    separator = "" if locale == "ja" else " "
    return f"{format_date(value, locale)}{separator}{format_time(value)}"


def format_time_range(start: datetime, end: datetime, locale: str = "ja") -> str:
    """令和5年2月1日（水）13:30～16:30, one day with its start and end."""
    return f"{format_datetime(start, locale)}{dash(locale)}{format_time(end)}"


def iso(value: date | datetime) -> str:
    """The machine form (ISO 8601) for <time datetime>, CSV and XLSX."""
    return to_tokyo(value).isoformat(timespec="minutes") if isinstance(value, datetime) else value.isoformat()
