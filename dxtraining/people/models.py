"""Municipalities, the rank ladder and the people who use the system."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import AwareDateTime, utcnow
from ..extensions import db


class Municipality(db.Model):
    """One of the municipalities running the joint training (市町). More can be added as rows."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 全国地方公共団体コード: six digits including the check digit, e.g. "112224" for 越谷市
    code: Mapped[str] = mapped_column(String(6), unique=True)
    #: official name in Japanese, e.g. 越谷市
    name: Mapped[str] = mapped_column(String(40))
    #: reading in hiragana, e.g. こしがやし
    name_kana: Mapped[str] = mapped_column(String(60), default="")
    #: name in English, e.g. Koshigaya City
    name_en: Mapped[str] = mapped_column(String(60), default="")
    #: position in lists; the report's order is 草加, 越谷, 八潮, 三郷, 吉川, 松伏
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    domains: Mapped[list[MunicipalityDomain]] = relationship(
        back_populates="municipality", cascade="all, delete-orphan", order_by="MunicipalityDomain.domain"
    )

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"


class MunicipalityDomain(db.Model):
    """An email domain whose addresses belong to a municipality's staff; sign-up is allowed only from these."""

    __tablename__ = "municipality_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the municipality whose staff use this domain
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    #: lower-case domain after the @, e.g. city.koshigaya.lg.jp; one municipality per domain
    domain: Mapped[str] = mapped_column(String(120), unique=True)

    municipality: Mapped[Municipality] = relationship(back_populates="domains")


class Rank(db.Model):
    """A level of the rank ladder (職層), highest first: 特別職, 部長級, 課長級, 課長補佐級, 係長級, 主任級, 主事級."""

    __tablename__ = "rank"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable English identifier, e.g. "section_chief"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: 1 for the top of the ladder; a larger number is a lower rank
    level: Mapped[int] = mapped_column(Integer, unique=True)
    #: Japanese name of the level, e.g. 課長級
    name: Mapped[str] = mapped_column(String(40))
    #: English name of the level, e.g. Section chief
    name_en: Mapped[str] = mapped_column(String(60))
    #: typical titles at this level, separated by "・", e.g. 課長・室長
    typical_titles: Mapped[str] = mapped_column(String(200), default="")

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name

    def is_at_or_below(self, limit: Rank) -> bool:
        """True when this rank is `limit` or lower on the ladder (課長級以下 means at or below 課長級)."""
        return self.level >= limit.level


class RankTitle(db.Model):
    """How one municipality's job titles map onto the common ladder (越谷市 副課長 → 課長補佐級)."""

    __tablename__ = "rank_title"
    __table_args__ = (UniqueConstraint("municipality_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the municipality using this title
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    #: the title as the municipality writes it, e.g. 副課長
    title: Mapped[str] = mapped_column(String(40))
    #: the level of the ladder the title belongs to
    rank_id: Mapped[int] = mapped_column(ForeignKey("rank.id"))

    rank: Mapped[Rank] = relationship()


class Person(UserMixin, db.Model):
    """A member of staff: every person is an employee; some also coordinate their municipality or run
    the secretariat."""

    __tablename__ = "person"
    __table_args__ = (CheckConstraint("locale IN ('ja', 'en')", name="locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sign-in address, stored lower-case
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: argon2id hash; empty until the person accepts their invitation
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: full name in kanji as used at work, e.g. 越谷 太郎
    name: Mapped[str] = mapped_column(String(80))
    #: reading of the name in hiragana or katakana, e.g. こしがや たろう
    name_kana: Mapped[str] = mapped_column(String(120), default="")
    #: the municipality employing the person
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    #: 所属, e.g. 総合政策部 政策課
    department: Mapped[str] = mapped_column(String(120), default="")
    #: level on the common ladder, used for eligibility; empty until known
    rank_id: Mapped[int | None] = mapped_column(ForeignKey("rank.id"))
    #: the municipality's own job title, e.g. 副課長
    job_title: Mapped[str] = mapped_column(String(40), default="")
    #: manages the seats and staff of their own municipality (研修担当者)
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    #: member of the secretariat (事務局): may act on everything
    is_secretariat: Mapped[bool] = mapped_column(Boolean, default=False)
    #: language of the interface and of emails: "ja" or "en"
    locale: Mapped[str] = mapped_column(String(2), default="ja")
    #: false for accounts that may no longer sign in
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    #: when the person proved they read the address; null for an unconfirmed sign-up
    email_confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: random value changed with the password; signs out other sessions and voids emailed links
    auth_stamp: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    #: wants the reminder the day before a session (optional mail)
    wants_session_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    #: wants reminders of unanswered surveys (optional mail)
    wants_survey_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    #: secret in the URL of the person's calendar feed (clients cannot sign in); replaced to revoke it
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: when the account was created
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    rank: Mapped[Rank | None] = relationship()

    # Flask-Login: the stamp is part of the id, so a password change ends every other session.
    def get_id(self) -> str:
        return f"{self.id}.{self.auth_stamp}"

    @property
    def is_active(self) -> bool:
        return self.is_active_account and self.email_confirmed_at is not None and bool(self.password_hash)

    def coordinates(self, municipality_id: int) -> bool:
        """May this person manage the staff and seats of that municipality?"""
        return self.is_secretariat or (self.is_coordinator and self.municipality_id == municipality_id)

    def may_act_for(self, person: Person) -> bool:
        """Employees act on themselves, coordinators on their municipality's staff, the secretariat on all."""
        return person.id == self.id or self.coordinates(person.municipality_id)

    @property
    def roles(self) -> list[str]:
        roles = ["employee"]
        if self.is_coordinator:
            roles.append("coordinator")
        if self.is_secretariat:
            roles.append("secretariat")
        return roles

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.email}>"
