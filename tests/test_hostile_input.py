"""Hostile and broken input on every form: random, very long and control-character text, wrong types,
missing and duplicated fields. Never a 500; nothing saved from a rejected form."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dxtraining.extensions import db
from dxtraining.surveys.services import load_questionnaire, questions_of
from tests.test_access_control import world  # noqa: F401  (the fixture)

# Anything a browser can send: every character but lone surrogates, which no form encoding can carry.
CHAR = st.characters(codec="utf-8")
TEXT = st.text(alphabet=CHAR, max_size=40)
LONG = st.builds(lambda ch, n: ch * n, CHAR, st.integers(min_value=200, max_value=6000))
CONTROL = st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=20)
VALUE = st.one_of(
    TEXT,
    LONG,
    CONTROL,
    st.integers().map(str),
    st.floats().map(str),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "99999999999999999999",
            "2027-02-30",
            "25:61",
            "1e309",
            "null",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "=cmd|' /C calc'!A0",
            "\x00",
            "in_person",
            "approve",
            "up",
            "pool",
            "112216",
            "y",
        ]
    ),
)

# url template → (role, field names)
FORMS = {
    "/signin": ("anonymous", ["email", "password", "remember"]),
    "/signup": ("anonymous", ["email", "name", "name_kana", "department", "rank_id", "password", "password_confirm"]),
    "/reset": ("anonymous", ["email"]),
    "/language": ("anonymous", ["language", "next"]),
    "/profile": (
        "employee_a",
        [
            "name",
            "name_kana",
            "department",
            "rank_id",
            "job_title",
            "locale",
            "wants_session_reminders",
            "wants_survey_reminders",
        ],
    ),
    "/sessions/{session}/apply": ("employee_a", ["note"]),
    "/enrollments/{enrollment_a}/cancel": ("coordinator_b", ["reason", "next"]),
    "/enrollments/{enrollment_a}/decide": ("coordinator_a", ["decision", "comment"]),
    "/enrollments/{enrollment_a}/move": ("coordinator_a", ["direction", "reason"]),
    "/sessions/{session}/manage/112216/nominate": ("coordinator_a", ["person_id", "note"]),
    "/sessions/{session}/manage/112216/give": ("coordinator_a", ["seats", "to", "reason"]),
    "/sessions/{session}/seats": ("secretariat", ["capacity", "reason", "code", "quota_1", "quota_2"]),
    "/sessions/{session}/format": ("secretariat", ["format", "online_platform", "online_url", "reason"]),
    "/sessions/{session}/copy": ("secretariat", ["title"]),
    "/sessions/{session}/edit": (
        "secretariat",
        [
            "title",
            "format",
            "enrollment_mode",
            "days-0-date",
            "days-0-start",
            "days-0-end",
            "days-1-date",
            "applications_open_at",
            "applications_close_at",
            "cancellation_deadline",
            "release_at",
            "venue_name",
            "online_url",
            "capacity",
        ],
    ),
    "/courses/{course}/sessions/new": (
        "secretariat",
        [
            "title",
            "format",
            "enrollment_mode",
            "days-0-date",
            "days-0-start",
            "days-0-end",
            "applications_open_at",
            "applications_close_at",
            "cancellation_deadline",
            "release_at",
            "venue_name",
            "capacity",
            "quota_1",
            "quota_2",
        ],
    ),
    "/sessions/{session}/agenda": (
        "secretariat",
        ["day_id", "start", "end", "title", "modules", "instructor_id", "unqualified_reason"],
    ),
    "/sessions/{session}/cancel": ("secretariat", ["reason"]),
    "/sessions/{session}/message": ("secretariat", ["audience", "subject", "body"]),
    "/instructors": ("secretariat", ["name", "name_kana", "affiliation", "profile", "contact"]),
    "/instructors/{instructor}": ("secretariat", ["criterion_id", "met", "evidence"]),
    "/instructors/{instructor}/profile": ("secretariat", ["profile-name", "profile-profile"]),
    "/courses/{course}/edit": (
        "secretariat",
        ["title", "max_rank_id", "default_capacity", "default_quota", "limit_1", "theme"],
    ),
    "/courses/{course}/curriculum": ("secretariat", ["parent_id", "title", "description", "planned_minutes"]),
    "/curriculum/{module}/edit": ("secretariat", ["title", "description", "planned_minutes"]),
    "/curriculum/{module}/move": ("secretariat", ["direction"]),
    "/admin/messages/{message}/retry": ("secretariat", ["x"]),
    "/questionnaires/{pre}": ("secretariat", ["title", "anonymous", "open_days", "remind_days_before_close"]),
    "/questionnaires/{pre}/questions": (
        "secretariat",
        [
            "new-section_id",
            "new-kind",
            "new-text",
            "new-options",
            "new-rows",
            "new-min_value",
            "new-max_value",
            "new-max_length",
            "new-awareness_key",
        ],
    ),
    "/questions/{question}/edit": ("secretariat", ["q1-section_id", "q1-kind", "q1-text", "q1-options", "q1-rows"]),
}


def row_counts() -> dict[str, int]:
    return {
        t.name: db.session.execute(db.select(db.func.count()).select_from(t)).scalar()
        for t in db.metadata.sorted_tables
        if t.name not in ("message", "audit_entry")
    }


def form_data(fields):
    single = st.fixed_dictionaries({}, optional={name: VALUE for name in fields})
    doubled = st.fixed_dictionaries({}, optional={name: st.lists(VALUE, min_size=2, max_size=3) for name in fields})
    extra = st.dictionaries(st.text(alphabet=CHAR, min_size=1, max_size=10), VALUE, max_size=3)
    return st.tuples(st.one_of(single, doubled), extra).map(lambda pair: {**pair[1], **pair[0]})


@pytest.mark.parametrize("template", list(FORMS))
def test_random_input_never_breaks_a_form(world, template):  # noqa: F811
    role, fields = FORMS[template]
    url = template.format(**world.ids)
    client = world.clients[role]

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(form_data(fields))
    def run(data):
        before = row_counts()
        response = client.post(url, data)
        assert response.status_code < 500, (url, data, response.status_code)
        if response.status_code in (400, 403, 404, 405, 413, 422):
            assert row_counts() == before, (url, data)

    run()


def test_random_survey_answers_never_break_the_survey(world):  # noqa: F811
    questionnaire = load_questionnaire(world.ids["pre"])
    names = [f"q{q.id}" for q in questions_of(questionnaire)] + [f"q{q.id}-other" for q in questions_of(questionnaire)]
    url = f"/surveys/{world.ids['pre']}/sessions/{world.ids['session']}"
    client = world.clients["employee_a"]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(form_data(names))
    def run(data):
        response = client.post(url, data)
        assert response.status_code < 500, (data, response.status_code)

    run()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("名前,電話\r\n太郎,1\r\n".encode(), "見出し行が正しくありません"),
        (b"\x00\x01\x02binary" * 1000, "CSVファイルではないようです"),
        (
            "メールアドレス,氏名,ふりがな,所属,職位\r\na@city.soka.saitama.jp,=cmd|' /C calc'!A0,か,課,主事\r\n".encode(),
            "先頭に = + - @ は使えません",
        ),
        ("メールアドレス,氏名,ふりがな,所属,職位\r\n".encode("utf-16"), "文字コード"),
    ],
)
def test_hostile_csv_uploads_are_refused_with_a_clear_error(world, payload, message):  # noqa: F811
    client = world.clients["coordinator_a"]
    before = row_counts()
    response = client.post(
        "/municipalities/112216/staff/import",
        {"file": (io.BytesIO(payload), "staff.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    response.close()
    assert row_counts() == before


def test_ten_megabytes_of_junk_is_refused_before_it_is_read(world):  # noqa: F811
    # A raw body, not the test client's file encoding (which spools to a temporary file it never closes).
    response = world.clients["coordinator_a"].client.post(
        "/municipalities/112216/staff/import",
        data=b"x" * 10_000_000,
        content_type="multipart/form-data; boundary=junk",
    )
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.get_data(as_text=True)
    response.close()


# Found by a sweep of every route with hostile values, on both databases.


def test_a_date_outside_2000_to_2100_is_refused_beside_its_field(world, municipalities):  # noqa: F811
    from datetime import date

    from dxtraining.i18n.dates import format_date
    from dxtraining.sessions.models import TrainingSession
    from tests.planning_helpers import session_form

    client = world.clients["secretariat"]
    count = db.session.scalar(db.select(db.func.count(TrainingSession.id)))
    for typo in (
        {"days-0-date": "0002-03-04"},
        {"applications_open_at": "0001-01-01T00:00"},
        {"release_at": "9999-12-31T00:00"},
    ):
        response = client.post(f"/courses/{world.ids['course']}/sessions/new", session_form(municipalities, **typo))
        assert response.status_code == 422, typo
        assert "2000年から2100年までの日付を入力してください。" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(TrainingSession.id))) == count
    assert format_date(date(1800, 1, 1)).startswith("1800年1月1日")  # before the eras: no 500 if ever shown


def test_ids_beyond_any_row_are_not_found(world):  # noqa: F811
    client = world.clients["secretariat"]
    for url in ("/sessions/99999999999999999999", "/sessions/2147483648"):  # SQLite's limit, then PostgreSQL's
        assert client.get(url).status_code == 404, url
    assert client.post("/enrollments/9223372036854775808/cancel", {"reason": "x"}).status_code == 404
    results = client.get(f"/courses/{world.ids['course']}/surveys?session=99999999999999999999&municipality=-1")
    assert results.status_code == 200  # an impossible filter narrows nothing
    assert world.clients["anonymous"].get("/calendar/%00.ics").status_code == 404
    assert world.clients["anonymous"].get("/calendar/a%00/municipality.ics").status_code == 404


def test_control_characters_in_a_meeting_url_or_an_other_answer_are_refused(world):  # noqa: F811
    secretariat = world.clients["secretariat"]
    switched = secretariat.post(
        f"/sessions/{world.ids['session']}/format",
        {"format": "online", "online_url": "https://meet.example.jp/a\x00b", "reason": "台風"},
    )
    assert switched.status_code == 422 and "使用できない制御文字" in switched.get_data(as_text=True)
    from werkzeug.datastructures import MultiDict

    from dxtraining.surveys.models import Questionnaire, SurveyKind
    from dxtraining.surveys.services import AnswersInvalid, read_answers

    post = db.session.scalar(db.select(Questionnaire).where(Questionnaire.kind == SurveyKind.post))
    multiple = next(q for q in questions_of(post) if q.kind.value == "multiple" and q.allow_other)
    with pytest.raises(AnswersInvalid) as refused:
        read_answers(post, MultiDict({f"q{multiple.id}": "other", f"q{multiple.id}-other": "a\x01b"}))
    assert refused.value.errors[multiple.id] == "使用できない制御文字が含まれています。"


def test_a_workbook_leaves_out_what_excel_cannot_hold():
    from openpyxl import load_workbook

    from dxtraining.enrollment.roster import as_xlsx

    sheet = load_workbook(io.BytesIO(as_xlsx([["回答"], ["a\x01b"]], "結果"))).active
    assert sheet["A2"].value == "ab"


def test_curriculum_choices_sent_empty_or_no_longer_offered(world):  # noqa: F811
    from dxtraining.i18n.dates import to_tokyo
    from dxtraining.sessions.models import AgendaBlock, SessionDay

    client = world.clients["secretariat"]
    session_id = world.ids["session"]
    db.session.execute(db.delete(AgendaBlock))  # a free day
    db.session.commit()
    day = db.session.scalar(db.select(SessionDay).where(SessionDay.session_id == session_id))
    start = to_tokyo(day.starts_at)
    at = lambda minutes: (start + timedelta(minutes=minutes)).strftime("%H:%M")  # noqa: E731
    base = {"day_id": day.id, "title": "講義", "instructor_id": "0"}
    empty = client.post(f"/sessions/{session_id}/agenda", {**base, "start": at(0), "end": at(30), "modules": ""})
    assert empty.status_code == 302  # an empty value is no choice: saved without curriculum items, not a 500
    stale = client.post(f"/sessions/{session_id}/agenda", {**base, "start": at(30), "end": at(60), "modules": "999999"})
    assert stale.status_code == 422 and "選択肢の中から選んでください。" in stale.get_data(as_text=True)
    assert "not a valid choice" not in stale.get_data(as_text=True)
    blocks = db.session.scalars(db.select(AgendaBlock)).all()
    assert [(b.title, b.modules) for b in blocks] == [("講義", [])]


def test_a_day_problem_shows_beside_the_row_it_was_typed_in(world, municipalities):  # noqa: F811
    from tests.planning_helpers import session_form

    form = session_form(municipalities)
    day = form.pop("days-0-date")
    form.update(
        {"days-0-start": "", "days-0-end": "", "days-2-date": day, "days-2-start": "16:00", "days-2-end": "13:00"}
    )
    response = world.clients["secretariat"].post(f"/courses/{world.ids['course']}/sessions/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="days-2-end-error"' in html and 'id="days-0-end-error"' not in html
