"""The report's course, curriculum, instructor criteria and case studies, loaded once (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..people.models import Municipality, Rank
from ..sessions.models import InstructorCriterion
from .models import CaseStudy, Course, CurriculumModule, SessionFormat
from .report_data import CASE_STUDIES, COURSE, CURRICULUM, INSTRUCTOR_CRITERIA

CASE_STUDY_MODULE_TITLE = "他自治体の事例"


def _add_modules(course: Course, items: list[dict], parent: CurriculumModule | None) -> None:
    for position, item in enumerate(items):
        module = CurriculumModule(
            course_id=course.id, parent_id=parent.id if parent else None, title=item["title"], position=position
        )
        db.session.add(module)
        db.session.flush()
        _add_modules(course, item["children"], module)


def load_course() -> Course:
    """The report's course 自治体職員のDXに関する意識醸成研修, created if missing, returned either way."""
    course = db.session.scalar(select(Course).where(Course.title == COURSE["title"]))
    if course is not None:
        return course
    section_chief = db.session.scalar(select(Rank).where(Rank.code == "section_chief"))
    course = Course(
        title=COURSE["title"],
        title_en="Building DX awareness among municipal staff",
        theme=COURSE["theme"],
        purpose=COURSE["purpose"],
        target_description=COURSE["target_description"],
        max_rank=section_chief,
        default_format=SessionFormat.in_person,
        format_description=COURSE["format_description"],
        default_capacity=COURSE["capacity"],
        default_quota=COURSE["seats_per_municipality"],
        criteria_text=COURSE["criteria_text"],
    )
    db.session.add(course)
    db.session.flush()
    _add_modules(course, CURRICULUM, None)
    for position, criterion in enumerate(INSTRUCTOR_CRITERIA):
        db.session.add(
            InstructorCriterion(
                course_id=course.id,
                code=criterion["code"],
                title=criterion["title"],
                description=criterion.get("description", ""),
                position=position,
            )
        )
    case_modules = list(
        db.session.scalars(
            select(CurriculumModule).where(
                CurriculumModule.course_id == course.id, CurriculumModule.title == CASE_STUDY_MODULE_TITLE
            )
        )
    )
    municipalities = {m.code: m for m in db.session.scalars(select(Municipality))}
    for study in CASE_STUDIES:
        municipality = municipalities.get(study["municipality_code"])
        if municipality is None:
            continue
        db.session.add(
            CaseStudy(
                municipality=municipality,
                modules=case_modules,
                **{k: study.get(k, "") for k in ("title", "summary", "purpose", "period", "target", "cost", "outcome")},
            )
        )
    db.session.commit()
    return course
