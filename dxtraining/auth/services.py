"""The rules of signing in and of accounts arriving by sign-up, invitation or reset."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..audit.services import record
from ..database import locked_transaction, utcnow
from ..extensions import db
from ..notifications.services import notify
from ..people.models import Municipality, MunicipalityDomain, Person, Rank
from .passwords import hash_password, needs_rehash, verify_password
from .tokens import make_token


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_person(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == normalize_email(email)))


def municipality_for_email(email: str) -> Municipality | None:
    """The municipality whose staff use this address's domain, if any."""
    domain = normalize_email(email).rpartition("@")[2]
    return db.session.scalar(select(Municipality).join(MunicipalityDomain).where(MunicipalityDomain.domain == domain))


def authenticate(email: str, password: str) -> Person | None:
    """The person with these credentials, or None. Unknown address and wrong password look the same."""
    person = find_person(email)
    if not verify_password(person.password_hash if person else None, password):
        return None
    if needs_rehash(person.password_hash):
        # Best effort: a busy database only postpones the upgrade of the hash to the next sign-in.
        try:
            person.password_hash = hash_password(password)
            db.session.commit()
        except OperationalError:
            db.session.rollback()
    return person


def set_password(person: Person, password: str) -> None:
    """Set a new password; every other session and every emailed link of this person stops working."""
    person.password_hash = hash_password(password)
    person.auth_stamp = secrets.token_hex(16)


@dataclass
class SignUp:
    email: str
    name: str
    name_kana: str
    department: str
    rank: Rank | None
    password: str


def sign_up(data: SignUp) -> Person | None:
    """Create an unconfirmed account for an address in a municipality's domain and email a confirmation link.

    If the address already has an account, nothing is created and its owner is told by email instead,
    so the form does not reveal who has an account. Returns the new person, or None.
    """
    municipality = municipality_for_email(data.email)
    if municipality is None:
        raise ValueError("domain")
    existing = find_person(data.email)
    if existing is not None:
        notify(existing, "account_exists", {"reset_url": url_for("auth.reset_request", _external=True)})
        db.session.commit()
        return None
    person = Person(
        email=normalize_email(data.email),
        name=data.name,
        name_kana=data.name_kana,
        department=data.department,
        rank=data.rank,
        municipality=municipality,
    )
    set_password(person, data.password)
    db.session.add(person)
    db.session.flush()
    link = url_for("auth.confirm_email", token=make_token(person, "email_confirmation"), _external=True)
    notify(person, "email_confirmation", {"link": link})
    db.session.commit()
    return person


def confirm_email(person: Person) -> None:
    """Mark the address confirmed (a GET from an emailed link, so it takes the write lock itself)."""
    person_id = person.id
    with locked_transaction(Person, person_id) as person:
        if person.email_confirmed_at is None:
            person.email_confirmed_at = utcnow()
            record("person.email_confirmed", person, actor=person)


def send_password_reset(email: str) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    person = find_person(email)
    if person is None or not person.is_active_account:
        return
    link = url_for("auth.reset_password", token=make_token(person, "password_reset"), _external=True)
    notify(person, "password_reset", {"link": link})
    db.session.commit()


def send_invitation(person: Person) -> None:
    """Queue the email that lets a person imported by a coordinator set their password (caller commits)."""
    link = url_for("auth.accept_invitation", token=make_token(person, "invitation"), _external=True)
    notify(person, "invitation", {"link": link})


def complete_password_link(person: Person, password: str, purpose: str) -> None:
    """Finish a reset or an invitation: the new password is set and the address counts as confirmed."""
    set_password(person, password)
    if person.email_confirmed_at is None:
        person.email_confirmed_at = utcnow()
    record(f"person.{purpose}_completed", person, actor=person)
    db.session.commit()
