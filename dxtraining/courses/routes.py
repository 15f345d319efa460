"""The catalog of courses and a course's page with its curriculum and case studies."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..database import utcnow
from ..extensions import db
from ..sessions.models import TrainingSession
from ..sessions.services import uncovered_modules, upcoming_sessions
from .models import CaseStudy, Course
from .services import curriculum_tree

bp = Blueprint("courses", __name__)


@bp.get("/courses")
@login_required
def catalog():
    courses = db.session.scalars(select(Course).order_by(Course.id)).all()
    return render_template("courses/catalog.html", courses=courses, sessions=upcoming_sessions(), now=utcnow())


@bp.get("/courses/<int:course_id>")
@login_required
def detail(course_id: int):
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    case_studies = db.session.scalars(
        select(CaseStudy)
        .options(joinedload(CaseStudy.municipality), selectinload(CaseStudy.modules))
        .order_by(CaseStudy.municipality_id, CaseStudy.id)
    ).all()
    sessions = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.course_id == course.id)
        .options(selectinload(TrainingSession.days))
        .order_by(TrainingSession.applications_open_at)
    ).all()
    return render_template(
        "courses/detail.html",
        course=course,
        tree=curriculum_tree(course),
        case_studies=case_studies,
        sessions=sessions,
        uncovered=uncovered_modules(course),
    )
