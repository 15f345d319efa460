"""Every model, imported in one place so migrations and `create_all` see the whole schema."""

from .audit.models import AuditEntry
from .notifications.models import Message
from .people.models import Municipality, MunicipalityDomain, Person, Rank, RankTitle

__all__ = ["AuditEntry", "Message", "Municipality", "MunicipalityDomain", "Person", "Rank", "RankTitle"]
