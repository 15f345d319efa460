"""Every model, imported in one place so migrations and `create_all` see the whole schema."""

from .audit.models import AuditEntry
from .courses.models import CaseStudy, Course, CourseRankLimit, CurriculumModule
from .enrollment.models import Enrollment
from .notifications.models import Message
from .people.models import Municipality, MunicipalityDomain, Person, Rank, RankTitle
from .sessions.models import (
    AgendaBlock,
    CriterionAssessment,
    FormatChange,
    Instructor,
    InstructorCriterion,
    SessionDay,
    SessionQuota,
    TrainingSession,
)

__all__ = [
    "AgendaBlock",
    "AuditEntry",
    "CaseStudy",
    "Course",
    "CourseRankLimit",
    "CriterionAssessment",
    "CurriculumModule",
    "Enrollment",
    "FormatChange",
    "Instructor",
    "InstructorCriterion",
    "Message",
    "Municipality",
    "MunicipalityDomain",
    "Person",
    "Rank",
    "RankTitle",
    "SessionDay",
    "SessionQuota",
    "TrainingSession",
]
