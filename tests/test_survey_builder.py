"""The secretariat builds questionnaires: settings, sections, every kind of question, order."""

from __future__ import annotations

import pytest

from dxtraining.courses.seed import load_course
from dxtraining.extensions import db
from dxtraining.surveys.models import Question, QuestionKind, Questionnaire, SurveyKind
from dxtraining.surveys.seed import load_questionnaires
from dxtraining.surveys.services import questions_of
from tests.conftest import text_of


@pytest.fixture
def post(app):
    course = load_course()
    load_questionnaires(course)
    return db.session.scalar(db.select(Questionnaire).where(Questionnaire.kind == SurveyKind.post))


def question_form(section_id, **fields) -> dict:
    data = {"section_id": section_id, "kind": "single", "text": "研修を職場で紹介しますか", "max_length": "1000"}
    data.update(fields)
    return {f"new-{k}": v for k, v in data.items()}


def test_secretariat_adds_a_choice_question_and_moves_it_to_the_top(secretariat, post):
    section = post.sections[0]
    response = secretariat.post(
        f"/questionnaires/{post.id}/questions",
        question_form(section.id, options="はい | Yes\nいいえ | No", required="y"),
    )
    assert response.status_code == 302
    added = db.session.scalar(db.select(Question).where(Question.text == "研修を職場で紹介しますか"))
    assert added.kind == QuestionKind.single and added.required
    assert added.options == [
        {"label": "はい", "label_en": "Yes", "value": "o0"},
        {"label": "いいえ", "label_en": "No", "value": "o1"},
    ]
    for _ in range(len(section.questions)):
        secretariat.post(f"/questions/{added.id}/move", {"direction": "up"})
    db.session.expire_all()
    assert questions_of(post)[0].id == added.id


def test_a_rating_needs_five_steps_and_a_grid_needs_rows(secretariat, post):
    section = post.sections[0]
    count = db.session.scalar(db.select(db.func.count(Question.id)))
    bad_rating = secretariat.post(
        f"/questionnaires/{post.id}/questions", question_form(section.id, kind="rating", options="良い\n悪い")
    )
    assert bad_rating.status_code == 422 and "5行で入力してください" in text_of(bad_rating)
    assert "[{" not in text_of(bad_rating)  # the other questions' choices still read as lines, not as Python
    rated = next(q for q in section.questions if q.options)
    first = rated.options[0]
    assert f"{first['label']} | {first.get('label_en', '')}" in text_of(bad_rating)
    bad_grid = secretariat.post(
        f"/questionnaires/{post.id}/questions",
        question_form(section.id, kind="grid", options="\n".join("12345"), rows=""),
    )
    assert bad_grid.status_code == 422 and "表の項目を1行以上" in text_of(bad_grid)
    assert db.session.scalar(db.select(db.func.count(Question.id))) == count


def test_editing_keeps_the_option_values_answers_refer_to(secretariat, post):
    multiple = next(q for q in questions_of(post) if q.kind == QuestionKind.multiple)
    values = [o["value"] for o in multiple.options]
    form = {
        f"q{multiple.id}-{k}": v
        for k, v in {
            "section_id": multiple.section_id,
            "kind": "multiple",
            "text": "役に立った内容",
            "options": "基礎 | Basics\n行政 | Government\n事例 | Cases\n演習 | Exercises",
            "allow_other": "y",
            "max_length": "1000",
        }.items()
    }
    assert secretariat.post(f"/questions/{multiple.id}/edit", form).status_code == 302
    db.session.refresh(multiple)
    assert [o["value"] for o in multiple.options][:3] == values  # renamed in place: the same choices
    assert multiple.options[3]["value"] not in values  # a new line is a new choice
    form[f"q{multiple.id}-options"] = "行政 | Government\n基礎 | Basics\n事例 | Cases\n演習 | Exercises"
    assert secretariat.post(f"/questions/{multiple.id}/edit", form).status_code == 302
    db.session.refresh(multiple)
    moved = {o["label"]: o["value"] for o in multiple.options}
    assert (moved["基礎"], moved["行政"]) == (values[0], values[1])  # answers keep meaning what was chosen


def test_settings_sections_and_deletion(secretariat, post):
    response = secretariat.post(
        f"/questionnaires/{post.id}",
        {"title": "事後アンケート（改訂）", "anonymous": "", "open_days": "21", "remind_days_before_close": "2"},
    )
    assert response.status_code == 302
    db.session.refresh(post)
    assert (post.title, post.anonymous, post.open_days) == ("事後アンケート（改訂）", False, 21)
    secretariat.post(f"/questionnaires/{post.id}/sections", {"s-title": "自由記述"})
    db.session.refresh(post)
    assert post.sections[-1].title == "自由記述"
    victim = questions_of(post)[-1]
    secretariat.post(f"/questions/{victim.id}/delete")
    assert db.session.get(Question, victim.id) is None


def test_only_the_secretariat_builds(client_for, make_person, post):
    for person in (make_person(), make_person(coordinator=True)):
        assert client_for(person).get(f"/questionnaires/{post.id}").status_code == 403


def test_a_question_sent_without_its_choices_is_refused_not_a_500(secretariat, post):
    rating = next(q for q in questions_of(post) if q.kind == QuestionKind.rating)
    sent = {f"q{rating.id}-section_id": rating.section_id, f"q{rating.id}-kind": "rating", f"q{rating.id}-text": "x"}
    response = secretariat.post(f"/questions/{rating.id}/edit", sent)
    assert response.status_code == 422 and "5行で入力してください" in text_of(response)


def test_an_awareness_item_is_one_rating_question_of_a_questionnaire(secretariat, post):
    keyed = next(q for q in questions_of(post) if q.awareness_key)
    other = next(q for q in questions_of(post) if q.kind == QuestionKind.rating and q.id != keyed.id)
    form = {
        f"q{other.id}-section_id": other.section_id,
        f"q{other.id}-kind": "rating",
        f"q{other.id}-text": other.text,
        f"q{other.id}-options": "\n".join(f"{o['label']} | {o.get('label_en', '')}" for o in other.options),
        f"q{other.id}-awareness_key": keyed.awareness_key,
        f"q{other.id}-max_length": "1000",
    }
    response = secretariat.post(f"/questions/{other.id}/edit", form)
    assert response.status_code == 422 and "別の質問で使われています" in text_of(response)


def test_settings_and_sections_refused_come_back_with_the_problem_beside_the_field(secretariat, post):
    settings = {"title": post.title, "anonymous": "y", "open_days": "14", "remind_days_before_close": "30"}
    too_late = secretariat.post(f"/questionnaires/{post.id}", settings)
    assert too_late.status_code == 422 and 'id="remind_days_before_close-error"' in text_of(too_late)
    blank = secretariat.post(f"/questionnaires/{post.id}/sections", {"s-title": "  ", "s-title_en": "Kept"})
    assert blank.status_code == 422 and 'id="s-title-error"' in text_of(blank) and 'value="Kept"' in text_of(blank)
    assert '<input checked id="anonymous"' in text_of(blank)  # the other forms show what is stored


def test_the_secretariat_renames_moves_and_removes_an_empty_section(secretariat, post):
    from dxtraining.audit.models import AuditEntry
    from dxtraining.surveys.models import SurveySection

    first, second = post.sections[0], post.sections[1]
    renamed = secretariat.post(
        f"/sections/{second.id}/edit", {f"s{second.id}-title": "研修の感想", f"s{second.id}-title_en": "Impressions"}
    )
    assert renamed.status_code == 302 and renamed.headers["Location"].endswith(f"#section-{second.id}")
    moved = secretariat.post(f"/sections/{second.id}/move", {"direction": "up"})
    assert moved.status_code == 302
    db.session.expire_all()
    assert [s.id for s in post.sections][:2] == [second.id, first.id]
    assert (second.title, second.title_en) == ("研修の感想", "Impressions")

    kept = secretariat.post(f"/sections/{first.id}/delete")  # it holds questions, and their answers
    assert kept.status_code == 302 and db.session.get(SurveySection, first.id) is not None
    assert "質問がある区分は削除できません" in text_of(secretariat.get(f"/questionnaires/{post.id}"))

    secretariat.post(f"/questionnaires/{post.id}/sections", {"s-title": "予備"})
    db.session.expire_all()
    spare = post.sections[-1]
    assert secretariat.post(f"/sections/{spare.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(SurveySection, spare.id) is None
    assert [s.position for s in post.sections] == list(range(len(post.sections)))
    actions = set(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.subject_type == "survey_section")))
    assert actions == {"questionnaire.section_changed", "questionnaire.section_moved", "questionnaire.section_removed"}


def test_a_blank_section_heading_comes_back_beside_its_own_form(secretariat, post):
    section = post.sections[0]
    title = section.title
    refused = secretariat.post(
        f"/sections/{section.id}/edit", {f"s{section.id}-title": " ", f"s{section.id}-title_en": "Kept"}
    )
    page = text_of(refused)
    assert refused.status_code == 422
    assert f'id="s{section.id}-title-error"' in page and 'value="Kept"' in page
    assert 'id="s-title-error"' not in page  # the form to add a section is untouched
    db.session.expire_all()
    assert post.sections[0].title == title


def test_sections_of_nothing_are_not_found(secretariat):
    assert secretariat.post("/sections/999999/edit", {"s999999-title": "x"}).status_code == 404
    assert secretariat.post("/sections/999999/move", {"direction": "up"}).status_code == 404
    assert secretariat.post("/sections/999999/delete").status_code == 404


def test_deleting_a_question_asks_first_and_warns_when_answers_would_go_with_it(secretariat, post, municipalities):
    from dxtraining.surveys.models import SurveyResponse
    from tests.planning_helpers import make_session

    page = text_of(secretariat.get(f"/questionnaires/{post.id}"))
    assert '<details class="confirm">' in page and "削除を確定する" in page
    assert "この質問への回答も削除され" not in page  # nobody has answered yet
    session = make_session()
    db.session.add(
        SurveyResponse(questionnaire_id=post.id, session_id=session.id, municipality_id=municipalities["草加市"].id)
    )
    db.session.commit()
    page = text_of(secretariat.get(f"/questionnaires/{post.id}"))
    assert "この質問への回答も削除され、元に戻せません（このアンケートの回答は1件です）。" in page
