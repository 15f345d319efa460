"""Who may do what, checked in one place.

Views declare what they need with these decorators and helpers; the rules themselves are the
Person methods `coordinates` and `may_act_for`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from ..people.models import Person


def secretariat_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only members of the secretariat (事務局)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_secretariat:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def coordinator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Coordinators of any municipality and the secretariat; which municipality is checked by `require_coordinator_of`."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not (current_user.is_coordinator or current_user.is_secretariat):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def require_coordinator_of(municipality_id: int) -> None:
    """403 unless the signed-in person manages that municipality."""
    if not current_user.coordinates(municipality_id):
        abort(403)


def require_may_act_for(person: Person) -> None:
    """403 unless the signed-in person may act on `person` (themself, their staff, or anyone for the secretariat)."""
    if not current_user.may_act_for(person):
        abort(403)
