"""Hostile and broken input on every form: random, very long and control-character text, wrong types,
missing and duplicated fields. Never a 500; nothing saved from a rejected form."""

from __future__ import annotations

import io

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
