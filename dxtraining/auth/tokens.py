"""Signed links sent by email (invitation, password reset, address confirmation).

A link carries the person's id and their auth stamp; setting a password changes the stamp, so each
link works once. It also expires after the configured age.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..people.models import Person

PURPOSES = {
    "invitation": "INVITATION_MAX_AGE",
    "password_reset": "PASSWORD_RESET_MAX_AGE",
    "email_confirmation": "EMAIL_CONFIRMATION_MAX_AGE",
}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"dxtraining.{purpose}")


def _fingerprint(person: Person, purpose: str) -> str:
    # A confirmation link dies once the address is confirmed; the others once a password is set.
    if purpose == "email_confirmation":
        return f"{person.email}:{person.email_confirmed_at is not None}"
    return person.auth_stamp


def make_token(person: Person, purpose: str) -> str:
    return _serializer(purpose).dumps([person.id, _fingerprint(person, purpose)])


def load_token(token: str, purpose: str) -> Person | None:
    """The person a valid, unexpired, unused link belongs to, else None."""
    max_age = current_app.config[PURPOSES[purpose]].total_seconds()
    try:
        person_id, fingerprint = _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    person = db.session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None or _fingerprint(person, purpose) != fingerprint:
        return None
    return person
