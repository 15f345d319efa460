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
from .surveys.models import Answer, Question, Questionnaire, SurveyParticipant, SurveyResponse, SurveySection

__all__ = [
    "Answer",
    "Question",
    "Questionnaire",
    "SurveyParticipant",
    "SurveyResponse",
    "SurveySection",
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
