"""Rules about people: profiles, staff lists, ranks and creating accounts."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ..audit.services import changes, record
from ..database import utcnow
from ..extensions import db
from ..i18n.locale import current_locale
from .models import Municipality, Person, Rank, RankTitle


def ranks() -> list[Rank]:
    return list(db.session.scalars(select(Rank).order_by(Rank.level)))


def rank_choices(placeholder: bool = False) -> list[SelectChoice]:
    """Choices for a rank select, highest level first, in the current language; with `placeholder`, first
    「職層を選んでください」, so that nobody gets the highest rank by not choosing."""
    locale = current_locale()
    first = [SelectChoice("", _("職層を選んでください"))] if placeholder else []
    return first + [SelectChoice(r.id, r.display_name(locale)) for r in ranks()]


def coordinators_of(municipality_id: int) -> list[Person]:
    """The municipality's training coordinators who can sign in."""
    return _signing_in(Person.municipality_id == municipality_id, Person.is_coordinator.is_(True))


def secretariat_members() -> list[Person]:
    """The secretariat's people who can sign in."""
    return _signing_in(Person.is_secretariat.is_(True))


def _signing_in(*where) -> list[Person]:
    return [
        person for person in db.session.scalars(select(Person).where(*where).order_by(Person.id)) if person.is_active
    ]


def get_rank(rank_id: int | None) -> Rank | None:
    return db.session.get(Rank, rank_id) if rank_id else None


def municipalities() -> list[Municipality]:
    return list(db.session.scalars(select(Municipality).order_by(Municipality.sort_order, Municipality.code)))


def municipality_by_code(code: str) -> Municipality | None:
    """The municipality with this 6-digit local government code; None for anything else (forged input)."""
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    return db.session.scalar(select(Municipality).where(Municipality.code == code))


def staff_of(municipality: Municipality) -> list[Person]:
    """Everyone employed by a municipality, by department and reading, with their rank loaded."""
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.municipality_id == municipality.id)
            .options(joinedload(Person.rank))
            .order_by(Person.department, Person.name_kana, Person.id)
        )
    )


def resolve_rank(municipality: Municipality, text: str) -> tuple[Rank | None, str]:
    """Read a rank as a file or a form gives it: a level name (課長級), its code, or one of the
    municipality's own titles (副課長). Returns the level and the job title to keep (may be empty)."""
    text = text.strip()
    level = db.session.scalar(select(Rank).where((Rank.name == text) | (Rank.code == text) | (Rank.name_en == text)))
    if level is not None:
        return level, ""
    title = db.session.scalar(
        select(RankTitle)
        .where(RankTitle.municipality_id == municipality.id, RankTitle.title == text)
        .options(joinedload(RankTitle.rank))
    )
    return (title.rank, text) if title else (None, "")


@dataclass
class ProfileChange:
    name: str
    name_kana: str
    department: str
    rank: Rank | None
    job_title: str
    locale: str
    wants_session_reminders: bool = True
    wants_survey_reminders: bool = True


def update_profile(person: Person, change: ProfileChange) -> bool:
    """Save a person's own profile; rank and department changes go to the audit log. True if anything changed."""
    before, after = changes(
        person,
        {
            "name": change.name,
            "name_kana": change.name_kana,
            "department": change.department,
            "rank_id": change.rank.id if change.rank else None,
            "job_title": change.job_title,
            "locale": change.locale,
            "wants_session_reminders": change.wants_session_reminders,
            "wants_survey_reminders": change.wants_survey_reminders,
        },
    )
    if not after:
        return False
    if {"rank_id", "department"} & after.keys():
        record("person.profile_changed", person, before=before, after=after)
    db.session.commit()
    return True


def create_person(
    *,
    email: str,
    name: str,
    municipality: Municipality,
    name_kana: str = "",
    department: str = "",
    rank: Rank | None = None,
    job_title: str = "",
    is_coordinator: bool = False,
    is_secretariat: bool = False,
    confirmed: bool = False,
) -> Person:
    """Add a person (not committed). Used by the CSV import, the CLI and the demo data."""
    person = Person(
        email=email.strip().lower(),
        name=name,
        name_kana=name_kana,
        municipality=municipality,
        department=department,
        rank=rank,
        job_title=job_title,
        is_coordinator=is_coordinator,
        is_secretariat=is_secretariat,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(person)
    return person


def set_roles(person: Person, *, is_coordinator: bool, is_secretariat: bool) -> None:
    """Grant or withdraw the coordinator and secretariat roles (secretariat only), logged."""
    before, after = changes(person, {"is_coordinator": is_coordinator, "is_secretariat": is_secretariat})
    if after:
        record("person.roles_changed", person, before=before, after=after)
        db.session.commit()


def role_labels(person: Person) -> list[str]:
    labels = {"employee": _("職員"), "coordinator": _("研修担当者"), "secretariat": _("事務局")}
    return [labels[r] for r in person.roles]
