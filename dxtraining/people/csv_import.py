"""A coordinator's CSV of their staff: read, check every row, then import all of it or none of it.

Columns (header row required, Japanese or English names, any order):
  メールアドレス / email      required, in the municipality's email domain
  氏名 / name                 required
  ふりがな / name_kana        required
  所属 / department           required
  職位 / rank                 required: a level (課長級 …) or one of the municipality's titles (副課長 …)
Encoding: UTF-8 with or without BOM, or Shift_JIS (what Excel writes).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import changes, record
from ..auth.services import send_invitation
from ..extensions import db
from ..i18n import marks
from ..i18n.locale import current_locale
from .models import Municipality, MunicipalityDomain, Person, Rank
from .services import create_person, resolve_rank

COLUMNS = {
    "メールアドレス": "email",
    "email": "email",
    "氏名": "name",
    "name": "name",
    "ふりがな": "name_kana",
    "name_kana": "name_kana",
    "所属": "department",
    "department": "department",
    "職位": "rank",
    "rank": "rank",
}
REQUIRED = ("email", "name", "name_kana", "department", "rank")
MAX_LENGTH = {"email": 254, "name": 80, "name_kana": 120, "department": 120, "rank": 40}
# A cell starting with these is a formula to Excel: refuse it rather than store it.
FORMULA_START = ("=", "+", "-", "@")


@dataclass
class StaffRow:
    line: int
    email: str
    name: str
    name_kana: str
    department: str
    rank: Rank
    job_title: str


@dataclass
class ImportResult:
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM), else Shift_JIS (cp932, Windows' superset); None if neither fits."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _check_cell(key: str, value: str) -> str | None:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return _("制御文字が含まれています")
    if value.startswith(FORMULA_START):
        return _("先頭に = + - @ は使えません")
    if len(value) > MAX_LENGTH[key]:
        return _("%(max)d文字以内にしてください", max=MAX_LENGTH[key])
    return None


def read_staff_csv(raw: bytes, municipality: Municipality, max_rows: int) -> tuple[list[StaffRow], ImportResult]:
    """Parse and check a file. Nothing is written; every problem is reported with its line number."""
    result = ImportResult()
    text = decode(raw)
    if text is None:
        result.errors.append((0, _("文字コードを判別できません。UTF-8またはShift_JISで保存してください。")))
        return [], result
    if "\x00" in text:
        result.errors.append((0, _("CSVファイルではないようです。")))
        return [], result
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if not header:
        result.errors.append((1, _("見出し行がありません。")))
        return [], result
    keys = [COLUMNS.get(h.strip().lower() if h.strip().isascii() else h.strip()) for h in header]
    unknown = [h for h, k in zip(header, keys, strict=True) if k is None and h.strip()]
    missing = [c for c in REQUIRED if c not in keys]
    if unknown or missing or len(set(filter(None, keys))) != len(list(filter(None, keys))):
        result.errors.append((1, _("見出し行が正しくありません。必要な列：メールアドレス, 氏名, ふりがな, 所属, 職位")))
        return [], result

    # Problems name a column as its header says (「氏名」 or "name"), not by the code's key.
    column_names = {k: h.strip() for h, k in zip(header, keys, strict=True) if k}
    colon = marks.colon(current_locale())
    domains = set(
        db.session.scalars(
            select(MunicipalityDomain.domain).where(MunicipalityDomain.municipality_id == municipality.id)
        )
    )
    rows: list[StaffRow] = []
    first_line_of: dict[str, int] = {}
    try:
        for record_ in reader:
            line = reader.line_num
            if len(rows) + len(result.errors) >= max_rows:
                result.errors.append((line, _("行数が多すぎます（上限 %(max)d 行）。", max=max_rows)))
                break
            if not any(cell.strip() for cell in record_):
                continue
            if len(record_) != len(header):
                result.errors.append((line, _("列の数が見出し行と一致しません。")))
                continue
            values = {k: v.strip() for k, v in zip(keys, record_, strict=True) if k}
            problems = [f"{column_names[k]}{colon}{p}" for k, v in values.items() if (p := _check_cell(k, v))]
            problems += [_("%(column)sが空です", column=column_names[k]) for k in REQUIRED if not values.get(k)]
            if problems:
                result.errors.append((line, _("、").join(problems)))
                continue
            try:
                email = validate_email(values["email"], check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                result.errors.append((line, _("メールアドレスの形式が正しくありません：%(v)s", v=values["email"])))
                continue
            if email.rpartition("@")[2] not in domains:
                result.errors.append(
                    (
                        line,
                        _(
                            "%(name)sのメールアドレスではありません：%(v)s",
                            name=municipality.display_name(current_locale()),
                            v=email,
                        ),
                    )
                )
                continue
            if email in first_line_of:
                result.errors.append((line, _("%(line)d行目と同じメールアドレスです。", line=first_line_of[email])))
                continue
            first_line_of[email] = line
            rank, job_title = resolve_rank(municipality, values["rank"])
            if rank is None:
                result.errors.append((line, _("職位「%(v)s」が分かりません。", v=values["rank"])))
                continue
            rows.append(
                StaffRow(line, email, values["name"], values["name_kana"], values["department"], rank, job_title)
            )
    except csv.Error as error:
        result.errors.append((reader.line_num, _("CSVの形式が正しくありません（%(e)s）。", e=str(error))))
    if not rows and not result.errors:
        result.errors.append((2, _("取り込む行がありません。")))
    return rows, result


def import_staff(raw: bytes, municipality: Municipality, max_rows: int = 5000) -> ImportResult:
    """Create new staff (each gets an invitation) and update existing ones, all in one transaction,
    or change nothing at all if any row has a problem."""
    rows, result = read_staff_csv(raw, municipality, max_rows)
    if not result.ok:
        return result
    existing = {p.email: p for p in db.session.scalars(select(Person).where(Person.email.in_([r.email for r in rows])))}
    for row in rows:
        person = existing.get(row.email)
        if person is not None and person.municipality_id != municipality.id:
            result.errors.append((row.line, _("他の市町に登録済みのメールアドレスです：%(v)s", v=row.email)))
    if not result.ok:
        return result
    for row in rows:
        person = existing.get(row.email)
        values = {
            "name": row.name,
            "name_kana": row.name_kana,
            "department": row.department,
            "rank_id": row.rank.id,
            "job_title": row.job_title,
        }
        if person is None:
            person = create_person(
                email=row.email,
                municipality=municipality,
                **{k: v for k, v in values.items() if k != "rank_id"},
                rank=row.rank,
            )
            db.session.flush()
            record("person.imported", person)
            send_invitation(person)
            result.created += 1
            continue
        before, after = changes(person, values)
        if after:
            record("person.updated_by_import", person, before=before, after=after)
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.commit()
    return result
