"""The audit log's one table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import AwareDateTime, utcnow
from ..extensions import db
from ..people.models import Person


class AuditEntry(db.Model):
    """One administrative change. Rows are only ever added."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: when the change was made
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, index=True)
    #: who made it; empty for the system itself (periodic jobs, seed data)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: what happened, as a dotted code, e.g. "person.rank_changed"
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: kind of the changed object, e.g. "person"
    subject_type: Mapped[str] = mapped_column(String(40))
    #: id of the changed object
    subject_id: Mapped[int | None] = mapped_column(Integer)
    #: municipality the change concerns, so coordinators' views can be scoped; empty if it concerns all
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id", ondelete="SET NULL"))
    #: the changed fields' values before the change
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the changed fields' values after the change
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the reason given by the person who made the change, if any
    reason: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[Person | None] = relationship()
