"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) rather than the library default of
# 64 MiB: each gunicorn worker then stays under 120 MB at its peak while signing people in, and a
# verification costs about 25 ms. Existing hashes with other parameters are upgraded at the next sign-in.
_default = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Tests hash hundreds of passwords; the production parameters would make the suite slow for no gain.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# Verifying against this when the account does not exist keeps unknown and known emails equally slow.
_DUMMY_HASH = _default.hash("not-a-real-password")

MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    return _fast if current_app.config.get("PASSWORD_HASH_FAST") else _default


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; the time taken does not reveal whether a hash existed."""
    try:
        return _hasher().verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
