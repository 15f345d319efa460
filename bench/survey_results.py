"""Survey results at scale: 10,000 responses to a 20-question questionnaire.

Fills a temporary database (SQLite by default; DATABASE_URL=postgresql://… uses a temporary database on
that server), then times the secretariat's results page through the real route, and the same page for
100 responses as the baseline of the same run. Results are aggregated by the database, so the page
should grow far slower than the data.

    .venv/bin/python bench/survey_results.py
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = 20
ROUNDS = 7


def build_questionnaire(course_id: int):
    from dxtraining.extensions import db
    from dxtraining.surveys.models import Question, QuestionKind, Questionnaire, SurveyKind, SurveySection
    from dxtraining.surveys.seed import AGREE

    q = Questionnaire(course_id=course_id, kind=SurveyKind.post, title="計測用", anonymous=True)
    section = SurveySection(title="計測", position=0)
    kinds = (
        [QuestionKind.rating] * 12
        + [QuestionKind.grid] * 2
        + [QuestionKind.single] * 2
        + [QuestionKind.multiple] * 2
        + [QuestionKind.number, QuestionKind.long_text]
    )
    for i, kind in enumerate(kinds):
        question = Question(kind=kind, text=f"質問{i + 1}", position=i, options=AGREE)
        if kind in (QuestionKind.single, QuestionKind.multiple):
            question.options = [{"value": f"o{n}", "label": f"選択肢{n}"} for n in range(5)]
        if kind == QuestionKind.grid:
            question.rows = [{"key": f"r{n}", "label": f"項目{n}"} for n in range(4)]
        section.questions.append(question)
    q.sections.append(section)
    db.session.add(q)
    db.session.commit()
    return q


def fill(questionnaire, session_id: int, municipality_ids: list[int], count: int) -> None:
    """Insert `count` responses with answers to every question, in bulk."""
    from dxtraining.extensions import db
    from dxtraining.surveys.models import Answer, SurveyResponse
    from dxtraining.surveys.services import questions_of

    rng = random.Random(count)
    questions = questions_of(questionnaire)
    responses, answers = [], []
    for _ in range(count):
        rid = uuid.uuid4().hex
        municipality_id = rng.choice(municipality_ids)
        responses.append(
            {
                "id": rid,
                "questionnaire_id": questionnaire.id,
                "session_id": session_id,
                "municipality_id": municipality_id,
            }
        )
        for q in questions:
            base = {
                "id": None,
                "response_id": rid,
                "question_id": q.id,
                "row_key": None,
                "option": None,
                "number": None,
                "text": None,
                "session_id": session_id,
                "municipality_id": municipality_id,
            }
            if q.kind.value == "rating":
                answers.append({**base, "number": float(rng.randint(1, 5))})
            elif q.kind.value == "grid":
                answers += [{**base, "row_key": r["key"], "number": float(rng.randint(1, 5))} for r in q.rows]
            elif q.kind.value == "single":
                answers.append({**base, "option": rng.choice(q.options)["value"]})
            elif q.kind.value == "multiple":
                answers += [{**base, "option": o["value"]} for o in rng.sample(q.options, 2)]
            elif q.kind.value == "number":
                answers.append({**base, "number": float(rng.randint(0, 30))})
            else:
                answers.append({**base, "text": "研修の感想です。" * rng.randint(1, 4)})
    for a in answers:
        a["id"] = uuid.uuid4().hex
    db.session.execute(db.insert(SurveyResponse), responses)
    for start in range(0, len(answers), 20000):
        db.session.execute(db.insert(Answer), answers[start : start + 20000])
    db.session.commit()


def time_page(client, url: str) -> float:
    client.get(url)
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


def main() -> None:
    from bench.common import fresh_database
    from dxtraining import create_app
    from dxtraining.auth.services import set_password
    from dxtraining.courses.seed import load_course
    from dxtraining.database import enable_wal
    from dxtraining.extensions import db
    from dxtraining.people.reference import load_reference
    from dxtraining.people.services import create_person, municipalities
    from tests.conftest import make_config
    from tests.planning_helpers import make_session

    url, cleanup = fresh_database("survey", Path(tempfile.mkdtemp()))

    app = create_app(make_config(url))
    with app.app_context():
        db.create_all()
        enable_wal(db.engine)
        load_reference()
        course = load_course()
        ids = [m.id for m in municipalities()]
        small_session, big_session = make_session(course), make_session(course)
        questionnaire = build_questionnaire(course.id)
        started = time.perf_counter()
        fill(questionnaire, small_session.id, ids, 100)
        fill(questionnaire, big_session.id, ids, 10_000)
        filled = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does shortly after a bulk load: statistics and the visibility map that lets
            # PostgreSQL answer the aggregates from the covering index alone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE answer")
                connection.exec_driver_sql("VACUUM ANALYZE survey_response")
        admin_person = create_person(
            email="bench@city.koshigaya.saitama.jp",
            name="計測",
            municipality=municipalities()[1],
            is_secretariat=True,
            confirmed=True,
        )
        set_password(admin_person, "bench password")
        db.session.commit()
        small_id, big_id, course_id = small_session.id, big_session.id, course.id
        client = app.test_client()
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/signin").get_data(as_text=True)
        ).group(1)
        client.post(
            "/signin",
            data={"csrf_token": token, "email": "bench@city.koshigaya.saitama.jp", "password": "bench password"},
        )
        floor = time_page(client, "/healthz")
        small = time_page(client, f"/courses/{course_id}/surveys?session={small_id}")
        big = time_page(client, f"/courses/{course_id}/surveys?session={big_id}")
        db.engine.dispose()
    if cleanup:
        cleanup()
    backend = "PostgreSQL" if cleanup else "SQLite"
    print(f"survey results page, {backend}, {QUESTIONS} questions, median of {ROUNDS}, {os.cpu_count()} CPU cores")
    print(f"(filled 10,100 responses in {filled:.1f} s)")
    print(f"{'GET /healthz (floor)':<28} {floor * 1000:8.1f} ms")
    print(f"{'results, 100 responses':<28} {small * 1000:8.1f} ms   (baseline)")
    print(f"{'results, 10,000 responses':<28} {big * 1000:8.1f} ms   {big / small:.2f}x the baseline for 100x the data")
    print(f"target: under 300 ms for 10,000 responses: {'met' if big < 0.3 else 'NOT met'}")


if __name__ == "__main__":
    main()
