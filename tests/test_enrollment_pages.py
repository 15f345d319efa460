"""Employees apply and follow their status; coordinators manage only their own municipality."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from dxtraining.database import utcnow
from dxtraining.enrollment import services
from dxtraining.enrollment.models import Enrollment, EnrollmentStatus
from dxtraining.extensions import db
from dxtraining.i18n.dates import to_tokyo
from dxtraining.notifications.models import Message
from dxtraining.sessions.models import EnrollmentMode
from dxtraining.sessions.services import cancel_session
from tests.conftest import text_of, words_of
from tests.planning_helpers import make_session


@pytest.fixture
def session(municipalities):
    return make_session(capacity=3, quotas={municipalities["草加市"].id: 1, municipalities["越谷市"].id: 1})


def test_employee_applies_sees_confirmed_and_cancels(client_for, make_person, session):
    person = make_person("草加市")
    user = client_for(person)
    page = text_of(user.get(f"/sessions/{session.id}"))
    assert "申し込む" in page
    response = user.post(f"/sessions/{session.id}/apply", {"note": "車いすを使用します"})
    assert response.status_code == 302
    assert "参加確定" in text_of(user.get("/my/trainings"))
    enrollment = db.session.scalar(db.select(Enrollment))
    assert enrollment.note == "車いすを使用します"
    assert user.post(f"/enrollments/{enrollment.id}/cancel").status_code == 302
    db.session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.cancelled


def test_when_the_session_is_cancelled_participants_see_it_and_have_nothing_left_to_cancel(
    client_for, make_person, session
):
    person = make_person("草加市")
    enrollment = services.apply(person, session.id)
    cancel_session(session, "台風接近のため")
    db.session.commit()
    user = client_for(person)
    for page in (text_of(user.get("/my/trainings")), text_of(user.get(f"/sessions/{session.id}"))):
        assert "開催中止" in page and "参加確定" not in page and "取り消す" not in page
    response = user.post(f"/enrollments/{enrollment.id}/cancel", follow_redirects=True)
    assert "この開催回は中止されました。" in text_of(response)
    told = db.session.scalars(db.select(Message.kind).where(Message.person_id == person.id)).all()
    assert told.count("enrollment_cancelled") == 0


def test_once_the_training_has_begun_an_application_is_no_longer_withdrawn(client_for, make_person, session):
    person = make_person("草加市")
    enrollment = services.apply(person, session.id)
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() - timedelta(minutes=10), utcnow() + timedelta(hours=2)
    db.session.commit()
    coordinator = client_for(make_person("草加市", coordinator=True))
    assert "代理で取り消す" not in text_of(coordinator.get(f"/sessions/{session.id}/manage/112216"))
    response = coordinator.post(f"/enrollments/{enrollment.id}/cancel", follow_redirects=True)
    assert "開始した研修の申込は取り消せません。" in text_of(response)
    db.session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.confirmed


def test_a_long_note_typed_over_several_lines_fits_and_a_too_long_one_comes_back_with_its_text(
    client_for, make_person, session
):
    user = client_for(make_person("草加市"))
    too_long = "あ" * 501
    response = user.post(f"/sessions/{session.id}/apply", {"note": too_long})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert too_long in page  # nothing the person typed is lost
    assert 'class="error-summary"' in page and 'href="#note"' in page
    assert 'aria-invalid="true"' in page and "500" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 0
    lines = "\r\n".join(["い" * 40] * 12)  # 480 characters and 11 line breaks, as a browser sends them
    assert user.post(f"/sessions/{session.id}/apply", {"note": lines}).status_code == 302
    assert db.session.scalar(db.select(Enrollment.note)) == lines.replace("\r\n", "\n")


def test_seat_changes_the_rules_refuse_come_back_with_the_problem_next_to_the_field(
    client_for, make_person, municipalities, session
):
    secretariat = client_for(make_person(secretariat=True))
    typed = {"capacity": "3", "code": "112216", "reason": "増席"}
    typed.update({f"quota_{m.id}": "2" for m in municipalities.values()})  # 12 quota seats for 3
    response = secretariat.post(f"/sessions/{session.id}/seats", typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="capacity-error"' in html and "各市町の枠の合計（12人）が定員（3人）を超えています。" in html
    assert html.count('value="2"') >= 6  # what was typed is still there
    for _ in range(2):
        services.apply(make_person("草加市"), session.id)  # the 草加市 seat and the pool seat
    fewer = {**typed, "capacity": "1", **{f"quota_{m.id}": "0" for m in municipalities.values()}}
    response = secretariat.post(f"/sessions/{session.id}/seats", fewer)
    assert response.status_code == 422
    assert 'id="seats-reason"' in response.get_data(as_text=True)  # not a second id="reason" on the page
    assert 'id="capacity-error"' in response.get_data(as_text=True) and "参加確定者数（2人）" in text_of(response)
    db.session.refresh(session)
    assert session.capacity == 3 and session.quota_for(municipalities["草加市"].id) == 1
    soka = municipalities["草加市"].id
    squeezed = {**typed, **{f"quota_{m.id}": "0" for m in municipalities.values()}, f"quota_{soka}": "0"}
    response = secretariat.post(
        f"/sessions/{session.id}/seats", {**squeezed, f"quota_{municipalities['越谷市'].id}": "3"}
    )
    assert response.status_code == 422  # no pool left for the two confirmed people of 草加市
    assert f'id="quota_{soka}-error"' in response.get_data(as_text=True)
    assert "草加市の参加確定者（2人）が、この枠と共通枠に収まりません" in text_of(response)
    fits = {**squeezed, f"quota_{soka}": "1"}  # one in its quota, one in the pool of 2
    assert secretariat.post(f"/sessions/{session.id}/seats", fits).status_code == 302


def test_a_forged_municipality_code_is_not_found_on_both_databases(client_for, make_person, session):
    """PostgreSQL refuses NUL bytes in text: a forged code must be turned away before it reaches a query."""
    secretariat = client_for(make_person(secretariat=True))
    for code in ("\x00", "11221\x00", "abc", "1" * 200):
        response = secretariat.post(f"/sessions/{session.id}/seats", {"capacity": "0", "code": code})
        assert response.status_code == 404, code
        assert secretariat.get(f"/sessions/{session.id}/manage/{code}").status_code == 404


def test_giving_more_seats_than_are_unused_is_explained_next_to_the_number(client_for, make_person, session):
    coordinator = client_for(make_person("草加市", coordinator=True))
    response = coordinator.post(
        f"/sessions/{session.id}/manage/112216/give", {"seats": "3", "to": "pool", "reason": "今回は少人数"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="seats-error"' in html and "未使用の枠（1席）まで" in html and "今回は少人数" in html
    assert 'class="error-summary"' in html  # announced at the top for screen readers, linked to the field
    assert html.count("今回は少人数") == 1  # only in the form that was sent
    db.session.refresh(session)
    assert session.quota_for(session.quotas[0].municipality_id) == 1


def test_the_audit_log_reads_as_japanese_not_as_codes(client_for, make_person, municipalities, session):
    services.apply(make_person("草加市"), session.id)
    services.apply(make_person("草加市"), session.id)  # the pool seat
    waiting = services.apply(make_person("草加市"), session.id)
    services.give_seats(session.id, make_person("越谷市", coordinator=True), municipalities["越谷市"].id, 1, None, "")
    assert services.enrollment_of(waiting.person, session.id).status == EnrollmentStatus.confirmed  # promoted
    page = words_of(client_for(make_person(secretariat=True)).get("/admin/audit"))
    for words in (
        "申込",
        "枠を譲渡",
        "譲り元：越谷市",
        "譲り先：共通枠（全市町）",
        "状態：参加確定",
        "キャンセル待ちから繰り上げ",
    ):
        assert words in page, words
    for code in ("enrollment.applied", "session.seats_given", "training_session", "confirmed", "pool"):
        assert code not in page, code


def test_the_session_page_says_how_seats_are_given_and_my_trainings_what_is_left_to_do(
    client_for, make_person, municipalities, session
):
    person = make_person("草加市")
    user = client_for(person)
    page = text_of(user.get(f"/sessions/{session.id}"))
    assert "先着順（各市町の枠内）" in page and "枠の開放" in page
    assert "共通枠（全市町）" in page  # capacity 3, quotas 1 + 1: one pool seat
    services.apply(person, session.id)
    session.cancellation_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    mine = text_of(user.get("/my/trainings"))
    assert "取り消しは所属の研修担当者に依頼してください" in mine and "取り消す" not in mine
    approval = make_session(enrollment_mode=EnrollmentMode.approval)
    declined = services.apply(person, approval.id)
    services.decide(declined.id, approval.id, make_person("草加市", coordinator=True), False, "今回は係長級を優先")
    assert "研修担当者のコメント：今回は係長級を優先" in text_of(user.get("/my/trainings"))


def test_the_coordinator_is_told_where_an_application_landed_and_when_attendance_opens(
    client_for, make_person, session
):
    coordinator = client_for(make_person("草加市", coordinator=True))
    staff = [make_person("草加市", name=name) for name in ("一番 目", "二番 目", "三番 目")]
    said = []
    for person in staff:  # the 草加市 seat, the pool seat, then the waiting list
        response = coordinator.post(
            f"/sessions/{session.id}/manage/112216/nominate", {"person_id": person.id}, follow_redirects=True
        )
        said.append(text_of(response))
    assert "一番 目さんを推薦しました。参加確定です。" in said[0]
    assert "三番 目さんを推薦しました。空席がないため、キャンセル待ち（1番目）になりました。" in said[2]
    page = text_of(coordinator.get(f"/sessions/{session.id}/attendance/112216"))
    assert "出欠は開催日（" in page and "出欠を保存する" not in page
    secretariat = text_of(client_for(make_person(secretariat=True)).get(f"/sessions/{session.id}/manage/112216"))
    assert "全市町の名簿をCSVで出力" in secretariat and "全市町の名簿" not in text_of(
        coordinator.get(f"/sessions/{session.id}/manage/112216")
    )


def test_waiting_person_sees_their_position(client_for, make_person, session):
    for _ in range(2):  # the quota seat and the pool seat
        services.apply(make_person("草加市"), session.id)
    services.apply(make_person("草加市"), session.id)
    late = make_person("草加市")
    user = client_for(late)
    user.post(f"/sessions/{session.id}/apply", {"note": ""})
    assert "キャンセル待ち（2番目）" in text_of(user.get("/my/trainings"))


def test_refusal_is_explained_and_changes_nothing(client_for, make_person, session):
    user = client_for(make_person("草加市", rank="director"))
    page = text_of(user.get(f"/sessions/{session.id}"))
    assert "この研修の対象は課長級以下の職員です。" in page
    response = user.post(f"/sessions/{session.id}/apply", {"note": ""}, follow_redirects=True)
    assert "この研修の対象は課長級以下の職員です。" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 0


def test_forged_and_missing_targets_never_500(client_for, make_person, session):
    user = client_for(make_person("草加市"))
    assert user.post("/sessions/999999/apply", {"note": ""}).status_code == 404
    assert user.post(f"/sessions/{session.id}/apply", {"note": "x" * 5000}).status_code == 422
    assert user.post(f"/sessions/{session.id}/apply", {"note": ""}, csrf=False).status_code == 400
    assert user.post("/enrollments/999999/cancel").status_code == 404
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 0


def test_an_employee_cannot_cancel_someone_elses_application(client_for, make_person, session):
    victim = services.apply(make_person("草加市"), session.id)
    response = client_for(make_person("草加市")).post(f"/enrollments/{victim.id}/cancel")
    assert response.status_code == 403
    db.session.refresh(victim)
    assert victim.status == EnrollmentStatus.confirmed


def test_coordinator_approves_declines_and_nominates(client_for, make_person, municipalities):
    session = make_session(capacity=3, quotas={municipalities["草加市"].id: 2}, enrollment_mode=EnrollmentMode.approval)
    a, b = services.apply(make_person("草加市"), session.id), services.apply(make_person("草加市"), session.id)
    colleague = make_person("草加市", name="推薦 される")
    user = client_for(make_person("草加市", coordinator=True))
    page = text_of(user.get(f"/sessions/{session.id}/manage/112216"))
    assert a.person.name in page and "推薦 される" in page
    user.post(f"/enrollments/{a.id}/decide", {"decision": "approve", "comment": ""})
    user.post(f"/enrollments/{b.id}/decide", {"decision": "decline", "comment": "今回は見送り"})
    user.post(f"/sessions/{session.id}/manage/112216/nominate", {"person_id": colleague.id, "note": ""})
    rows = dict(db.session.execute(db.select(Enrollment.person_id, Enrollment.status)).all())
    assert rows == {
        a.person_id: EnrollmentStatus.confirmed,
        b.person_id: EnrollmentStatus.declined,
        colleague.id: EnrollmentStatus.confirmed,
    }


def test_coordinator_cannot_read_change_or_export_another_municipality(client_for, make_person, session):
    koshigaya = services.apply(make_person("越谷市", name="越谷 秘密子"), session.id)
    user = client_for(make_person("草加市", coordinator=True))
    for url in (
        f"/sessions/{session.id}/manage/112224",
        f"/sessions/{session.id}/attendance/112224",
        f"/sessions/{session.id}/roster.csv?municipality=112224",
        f"/sessions/{session.id}/roster.xlsx",
    ):
        response = user.get(url)
        assert response.status_code == 403, url
        assert "越谷 秘密子" not in text_of(response)
    for url, data in (
        (f"/enrollments/{koshigaya.id}/decide", {"decision": "decline"}),
        (f"/enrollments/{koshigaya.id}/cancel", {}),
        (f"/enrollments/{koshigaya.id}/move", {"direction": "up", "reason": "x"}),
        (f"/sessions/{session.id}/manage/112224/give", {"seats": 1, "to": "pool"}),
        (f"/sessions/{session.id}/seats", {"capacity": 99}),
    ):
        assert user.post(url, data).status_code == 403, url
    db.session.refresh(koshigaya)
    assert koshigaya.status == EnrollmentStatus.confirmed


def test_coordinator_gives_a_seat_to_another_municipality(client_for, make_person, session, municipalities):
    user = client_for(make_person("草加市", coordinator=True))
    response = user.post(f"/sessions/{session.id}/manage/112216/give", {"seats": 1, "to": "112348", "reason": ""})
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.quota_for(municipalities["草加市"].id) == 0
    assert session.quota_for(municipalities["八潮市"].id) == 1


def test_giving_a_seat_says_how_many_waiting_people_it_promoted(client_for, make_person, session):
    for _ in range(3):  # 越谷市's seat, the pool seat, then 越谷市's waiting list
        services.apply(make_person("越谷市"), session.id)
    user = client_for(make_person("草加市", coordinator=True))
    given = user.post(f"/sessions/{session.id}/manage/112216/give", {"seats": 1, "to": "pool"}, follow_redirects=True)
    assert "枠を譲りました。キャンセル待ちから繰り上がり：越谷市 1人" in words_of(given)


def test_withdrawing_for_someone_says_who_moved_up_but_the_person_is_not_told(client_for, make_person, session):
    holders = [make_person("越谷市") for _ in range(4)]  # 越谷市's seat, the pool seat, then two waiting
    seated = [services.apply(p, session.id) for p in holders]
    coordinator = client_for(make_person("越谷市", coordinator=True))
    done = coordinator.post(
        f"/enrollments/{seated[0].id}/cancel", {"next": f"/sessions/{session.id}/manage/112224"}, follow_redirects=True
    )
    assert "申込を取り消しました。キャンセル待ちから繰り上がり：越谷市 1人" in words_of(done)
    third = client_for(holders[2])  # now holding a seat
    own = third.post(f"/enrollments/{seated[2].id}/cancel", {"next": f"/sessions/{session.id}"}, follow_redirects=True)
    assert "申込を取り消しました。" in words_of(own) and "繰り上がり" not in words_of(own)
    assert services.enrollment_of(holders[3], session.id).status == EnrollmentStatus.confirmed  # yet it happened


def test_roster_exports_open_in_excel_with_japanese_and_no_formulas(client_for, make_person, session):
    services.apply(make_person("草加市", name='=HYPERLINK("http://x")', department="総務部 人事課"), session.id)
    services.apply(make_person("越谷市", name="越谷 花子"), session.id)
    user = client_for(make_person("草加市", coordinator=True))
    raw = user.get(f"/sessions/{session.id}/roster.csv?municipality=112216").data
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["市町", "所属", "職層", "氏名"]
    assert len(rows) == 2 and rows[1][0] == "草加市" and rows[1][3].startswith("'=")
    xlsx = user.get(f"/sessions/{session.id}/roster.xlsx?municipality=112216")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][6] == "参加確定" and values[1][3].startswith("'=")
    secretariat = client_for(make_person(secretariat=True))
    everyone = list(
        csv.reader(io.StringIO(secretariat.get(f"/sessions/{session.id}/roster.csv").data.decode("utf-8-sig")))
    )
    assert {r[0] for r in everyone[1:]} == {"草加市", "越谷市"}


def test_the_roster_marks_a_withdrawal_after_the_deadline(client_for, make_person, session):
    from dxtraining.enrollment.models import Enrollment

    late, early = make_person("草加市", name="草加 遅"), make_person("草加市", name="草加 早")
    for person in (late, early):
        services.apply(person, session.id)
    for person in (late, early):
        services.cancel(services.enrollment_of(person, session.id).id, session.id, person)
    db.session.execute(db.update(Enrollment).where(Enrollment.person_id == late.id).values(late_cancellation=True))
    db.session.commit()
    user = client_for(make_person("草加市", coordinator=True))
    raw = user.get(f"/sessions/{session.id}/roster.csv?municipality=112216").data
    status = {row[3]: row[6] for row in list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]}
    assert status == {"草加 遅": "取消（期限後）", "草加 早": "取消"}


def test_the_roster_keeps_the_waiting_list_in_its_order_with_dates_excel_reads(client_for, make_person, municipalities):
    soka = municipalities["草加市"].id
    session = make_session(title="第2回（1/2）: DX[基礎]", capacity=1, quotas={soka: 1})
    people = [
        make_person("草加市", name=name, name_kana=kana)
        for name, kana in [
            ("伊藤 一", "いとう はじめ"),
            ("渡辺 二", "わたなべ じろう"),
            ("相川 三", "あいかわ さぶろう"),
        ]
    ]
    for person in people:
        services.apply(person, session.id)
    coordinator = make_person("草加市", coordinator=True)
    last = services.enrollment_of(people[2], session.id)
    services.move_in_line(last.id, session.id, coordinator, -1, "業務の都合")  # 相川 now first in line
    user = client_for(coordinator)
    rows = list(
        csv.reader(
            io.StringIO(user.get(f"/sessions/{session.id}/roster.csv?municipality=112216").data.decode("utf-8-sig"))
        )
    )
    assert rows[0][6:9] == ["状態", "キャンセル待ち順", "申込日時"]
    assert [(r[3], r[6], r[7]) for r in rows[1:]] == [
        ("伊藤 一", "参加確定", ""),
        ("相川 三", "キャンセル待ち", "1"),
        ("渡辺 二", "キャンセル待ち", "2"),
    ]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}", rows[1][8])
    response = user.get(
        f"/sessions/{session.id}/roster.xlsx?municipality=112216"
    )  # a title Excel would refuse as a sheet name
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "第2回（1_2）_ DX_基礎_"
    applied = sheet.cell(row=2, column=9)
    assert isinstance(applied.value, datetime) and applied.number_format == "yyyy/mm/dd hh:mm"
    assert applied.value.strftime("%Y/%m/%d %H:%M") == rows[1][8]  # Japan time in both files


@contextmanager
def statements_run():
    """The SQL statements sent while the block runs."""
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def count_queries(client, url) -> int:
    with statements_run() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_query_counts_do_not_grow_with_applicants_or_sessions(client_for, make_person, municipalities):
    secretariat = make_person(secretariat=True)
    coordinator = make_person("草加市", coordinator=True)
    employee = make_person("草加市")

    def measure(n: int) -> list[int]:
        sessions = [make_session(capacity=200, quotas={municipalities["草加市"].id: 200}) for _ in range(n)]
        for s in sessions:
            services.apply(employee, s.id)
        target = sessions[0]
        for _ in range(n):
            services.apply(make_person("草加市"), target.id)
        urls = [
            (employee, f"/sessions/{target.id}"),
            (employee, "/my/trainings"),
            (coordinator, f"/sessions/{target.id}/manage/112216"),
            (coordinator, f"/sessions/{target.id}/roster.csv?municipality=112216"),
            (secretariat, f"/sessions/{target.id}/roster.xlsx"),
        ]
        return [count_queries(client_for(person), url) for person, url in urls]

    assert measure(1) == measure(50)


def test_applying_costs_the_same_queries_whether_1_or_50_people_are_in_line(client_for, make_person, municipalities):
    """The rush request: the seat decision reads counts, never the whole waiting list."""

    def measure(in_line: int) -> int:
        session = make_session(capacity=1, quotas={municipalities["草加市"].id: 1})
        for _ in range(in_line + 1):  # one takes the seat, the rest wait
            services.apply(make_person("草加市"), session.id)
        browser = client_for(make_person("草加市"))
        token = browser.csrf_token()
        with statements_run() as statements:
            assert browser.post(f"/sessions/{session.id}/apply", {"csrf_token": token}).status_code == 302
        return len(statements)

    assert measure(1) == measure(50)


def test_a_refused_reordering_or_decision_comes_back_next_to_its_row(client_for, make_person, session):
    line = [services.apply(make_person("草加市", name=f"待ち {n}"), session.id) for n in range(4)][2:]  # 2 waiting
    approval = make_session(enrollment_mode=EnrollmentMode.approval)
    pending = services.apply(make_person("草加市", name="承認 待子"), approval.id)
    coordinator = client_for(make_person("草加市", coordinator=True))

    blank = coordinator.post(f"/enrollments/{line[1].id}/move", {"direction": "up", "reason": "   "})
    assert blank.status_code == 422
    html = blank.get_data(as_text=True)
    error = f'id="reason-{line[1].id}-error"'
    assert error in html and f'href="#reason-{line[1].id}"' in html  # next to the row's field, and in the summary
    assert f'id="reason-{line[0].id}-error"' not in html and html.count('aria-invalid="true"') == 1
    too_long = coordinator.post(f"/enrollments/{line[1].id}/move", {"direction": "up", "reason": "理" * 301})
    assert too_long.status_code == 422 and "理" * 301 in too_long.get_data(as_text=True)  # what was typed stays
    assert [e.id for e in services.waiting_line(session.id)] == [line[0].id, line[1].id]  # nothing moved

    comment = coordinator.post(f"/enrollments/{pending.id}/decide", {"decision": "decline", "comment": "x" * 301})
    assert comment.status_code == 422 and f'id="comment-{pending.id}-error"' in comment.get_data(as_text=True)
    db.session.refresh(pending)
    assert pending.status == EnrollmentStatus.pending
    forged = coordinator.post(f"/enrollments/{pending.id}/decide", {"decision": "maybe"})
    assert forged.status_code == 400

    nobody = coordinator.post(f"/sessions/{session.id}/manage/112216/nominate", {"person_id": "999999"})
    assert nobody.status_code == 422 and 'id="person_id-error"' in nobody.get_data(as_text=True)
    unchosen = coordinator.post(f"/sessions/{session.id}/manage/112216/nominate", {"person_id": ""})
    assert unchosen.status_code == 422 and "選択してください。" in words_of(unchosen)
    assert '<option selected value="">選んでください</option>' in text_of(unchosen)


def test_a_roster_download_is_named_after_the_session_and_speaks_the_readers_language(client_for, make_person, session):
    services.apply(make_person("草加市", rank="staff"), session.id)
    coordinator = client_for(make_person("草加市", coordinator=True))
    response = coordinator.get(f"/sessions/{session.id}/roster.csv?municipality=112216")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"  # names and addresses stay out of every cache
    disposition = response.headers["Content-Disposition"]
    day = to_tokyo(session.starts_at).strftime("%Y%m%d")
    assert f"filename*=UTF-8''{quote(f'名簿_{day}_{session.title}_草加市.csv')}" in disposition
    coordinator.post("/language", {"language": "en", "next": "/"})
    rows = list(
        csv.reader(
            io.StringIO(
                coordinator.get(f"/sessions/{session.id}/roster.csv?municipality=112216").data.decode("utf-8-sig")
            )
        )
    )
    assert rows[0][:3] == ["Municipality", "Department", "Rank"]
    assert rows[1][0] == "Soka City" and rows[1][2] == "Staff"


def test_the_home_page_lists_upcoming_sessions_with_their_window_and_my_status(client_for, make_person, session):
    later = make_session(title="第9回", applications_open_at=utcnow() + timedelta(days=3))
    person = make_person("草加市")
    services.apply(person, session.id)
    for _ in range(2):  # the pool seat, then the waiting list
        services.apply(make_person("草加市"), session.id)
    waiting = make_person("草加市")
    services.apply(waiting, session.id)
    assert "あなたの申込：キャンセル待ち（2番目）" in words_of(client_for(waiting).get("/"))
    home = words_of(client_for(person).get("/"))
    assert session.title in home and later.title in home
    assert "受付中" in home and "受付前" in home and "あなたの申込：参加確定" in home
    assert "申込者の管理" not in home
    coordinator = client_for(make_person("草加市", coordinator=True)).get("/").get_data(as_text=True)
    assert (
        f"/sessions/{session.id}/manage/112216" in coordinator and f"/sessions/{later.id}/manage/112216" in coordinator
    )


def test_in_english_pages_use_english_punctuation(client_for, make_person, session):
    coordinator = client_for(make_person("草加市", coordinator=True))
    coordinator.post("/language", {"language": "en", "next": "/"})
    page = text_of(coordinator.get(f"/sessions/{session.id}/manage/112216"))
    assert "Soka City" in page and "(0)</h2>" in page
    assert "：" not in page and "（" not in page
    home = text_of(coordinator.get("/"))
    assert session.course.display_title("en") in home and "：" not in home


def test_in_a_cancelled_session_seats_are_not_given_and_refusals_point_at_nothing_missing(
    client_for, make_person, session, municipalities
):
    cancel_session(session, "台風接近のため")
    db.session.commit()
    coordinator = client_for(make_person("草加市", coordinator=True))
    given = coordinator.post(f"/sessions/{session.id}/manage/112216/give", {"seats": 1, "to": "pool"})
    assert given.status_code == 302  # back to the page, which says why at the top
    assert "中止または開始済み" in words_of(coordinator.get(f"/sessions/{session.id}/manage/112216"))
    db.session.refresh(session)
    assert session.quota_for(municipalities["草加市"].id) == 1
    nominated = coordinator.post(f"/sessions/{session.id}/manage/112216/nominate", {"person_id": "999999"})
    assert nominated.status_code == 302  # the nominate form is not on the page: no error linked to it


def test_a_coordinators_comment_belongs_to_the_application_it_was_written_on(client_for, make_person):
    approval = make_session(enrollment_mode=EnrollmentMode.approval)
    person = make_person("草加市")
    first = services.apply(person, approval.id)
    services.decide(first.id, approval.id, make_person("草加市", coordinator=True), True, "内部メモ：課長了承済み")
    services.cancel(first.id, approval.id, person)
    services.apply(person, approval.id)
    assert "内部メモ" not in words_of(client_for(person).get("/my/trainings"))


def test_in_english_the_secretariat_reads_municipalities_in_english(client_for, make_person, session):
    secretariat = client_for(make_person(secretariat=True))
    secretariat.post("/language", {"language": "en", "next": "/"})
    page = words_of(secretariat.get(f"/sessions/{session.id}/manage/112216"))
    assert "Koshigaya City" in page and "越谷市" not in page  # quota fields, give-to choices


def test_saving_the_profile_keeps_the_language_the_browser_speaks(client_for, make_person):
    person = make_person("草加市")
    user = client_for(person)
    with user.client.session_transaction() as browser:
        browser["locale"] = "en"  # switched before signing in; the account still says Japanese
    page = text_of(user.get("/profile"))
    assert '<option selected value="en">' in page
