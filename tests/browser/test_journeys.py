"""The product as its users meet it, in Chromium: six journeys, each checked with axe-core on every page,
each with at least one form done with the keyboard alone."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from icalendar import Calendar
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from dxtraining.courses.models import SessionFormat
from dxtraining.courses.seed import load_course
from dxtraining.database import utcnow
from dxtraining.enrollment import services as enrollment
from dxtraining.enrollment.models import Attendance, Enrollment, EnrollmentStatus
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.notifications.services import render
from dxtraining.people.services import municipality_by_code
from dxtraining.sessions.models import EnrollmentMode
from dxtraining.surveys.models import SurveyKind
from dxtraining.surveys.seed import load_questionnaires
from dxtraining.surveys.services import questionnaire_for, submit
from tests.browser.helpers import PASSWORD, accessible, person, sign_in, sign_out
from tests.planning_helpers import make_session

URL = "https://meet.example.jp/dx-journey-room"


def test_1_employee_signs_up_applies_downloads_the_calendar_and_cancels(live, page: Page):
    course = load_course()
    session = make_session(course, title="第1回")
    page.goto(f"{live}/signup")
    accessible(page)
    # the whole sign-up form with the keyboard alone
    page.get_by_label("職場のメールアドレス").focus()
    page.keyboard.type("new.staff@city.yashio.lg.jp")
    for value in ("八潮 新人", "やしお しんじん", "企画経営課"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    page.keyboard.press("End")  # 主事級, the last level
    for value in ("new password 123", "new password 123"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="メールを確認してください")).to_be_visible()
    accessible(page)
    message = db.session.scalar(db.select(Message).where(Message.kind == "email_confirmation"))
    link = re.search(r"https?://\S+", render(message).body_text).group(0)
    db.session.commit()
    page.goto(link)
    expect(page.get_by_text("メールアドレスを確認しました。")).to_be_visible()
    sign_in(page, live, "new.staff@city.yashio.lg.jp", "new password 123")
    accessible(page)

    page.get_by_role("link", name="研修一覧").click()
    accessible(page)
    page.get_by_role("link", name=re.compile("第1回")).click()
    expect(page.get_by_role("heading", name="第1回")).to_be_visible()
    accessible(page)
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_text("参加が確定しました。")).to_be_visible()
    expect(page.get_by_text("参加確定").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="カレンダーに追加（.ics）").click()
    calendar = Calendar.from_ical(download.value.path().read_bytes())
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == session.days[0].starts_at
    expect(page.get_by_role("button", name="取り消しを確定する")).to_be_hidden()  # one slip gives nothing away
    page.get_by_text("申込を取り消す").click()
    page.get_by_role("button", name="取り消しを確定する").click()
    expect(page.get_by_text("申込を取り消しました。")).to_be_visible()
    accessible(page)


def test_2_the_sixth_applicant_waits_and_is_promoted(live, page: Page):
    course = load_course()
    session = make_session(course, title="第2回")  # 30 seats, 5 per municipality, no shared pool
    first_five = [person("三郷市", name=f"三郷 {n}") for n in range(5)]
    for p in first_five:
        enrollment.apply(p, session.id)
    sixth = person("三郷市", name="三郷 六番")
    sign_in(page, live, sixth.email)
    page.goto(f"{live}/sessions/{session.id}")
    page.get_by_role("button", name="申し込む").focus()
    page.keyboard.press("Enter")  # the application with the keyboard
    expect(page.get_by_text("キャンセル待ちで受け付けました。")).to_be_visible()
    page.get_by_role("link", name="受講予定").first.click()
    expect(page.get_by_text("キャンセル待ち（1番目）")).to_be_visible()
    accessible(page)
    holder = db.session.scalar(db.select(Enrollment).where(Enrollment.person_id == first_five[0].id))
    enrollment.cancel(holder.id, session.id, first_five[0])
    page.reload()
    expect(page.get_by_text("参加確定")).to_be_visible()


def test_3_coordinator_approves_declines_nominates_gives_a_seat_and_exports(live, page: Page):
    course = load_course()
    session = make_session(course, title="第3回", enrollment_mode=EnrollmentMode.approval)
    approved, declined = person("草加市", name="承認 される"), person("草加市", name="見送り される")
    colleague = person("草加市", name="推薦 される")
    for p in (approved, declined):
        enrollment.apply(p, session.id)
    coordinator = person("草加市", name="草加 担当", is_coordinator=True)
    sign_in(page, live, coordinator.email)
    page.goto(f"{live}/sessions/{session.id}/manage/112216")
    accessible(page)
    page.get_by_role("button", name=re.compile(r"^承認\s*（承認 される）")).click()
    expect(page.get_by_text("承認しました。")).to_be_visible()
    page.get_by_role("textbox", name="コメント（任意）").fill("今回は業務の都合で見送り")
    page.get_by_role("button", name=re.compile(r"^見送る\s*（見送り される）")).click()
    expect(page.get_by_text("見送りにしました。")).to_be_visible()
    # nomination with the keyboard alone
    page.get_by_label("推薦する職員").focus()
    page.keyboard.type("推薦")
    page.get_by_label("推薦する職員").select_option(label=f"推薦 される（{colleague.department}）")
    page.get_by_role("button", name="推薦する").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("推薦 されるさんを推薦しました。")).to_be_visible()
    page.get_by_label("譲る席数").fill("1")
    page.get_by_label("譲り先").select_option(label="八潮市")
    page.get_by_role("button", name="譲る", exact=True).click()
    expect(page.get_by_text("枠を譲りました。")).to_be_visible()
    accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="名簿をExcel（XLSX）で出力").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["市町", "所属", "職層", "氏名"]
    by_name = {row[3]: row[6] for row in rows[1:]}
    assert by_name == {"承認 される": "参加確定", "見送り される": "見送り", "推薦 される": "参加確定"}
    db.session.rollback()
    assert session.quota_for(municipality_by_code("112348").id) == 6


def test_4_secretariat_switches_online_and_only_the_confirmed_see_the_link(live, page: Page, browser):
    course = load_course()
    session = make_session(course, title="第4回", capacity=1, quotas={municipality_by_code("112216").id: 1})
    confirmed, waiting = person("草加市", name="確定 さん"), person("草加市", name="待ち さん")
    enrollment.apply(confirmed, session.id)
    enrollment.apply(waiting, session.id)
    secretariat = person("越谷市", name="事務局 さん", is_secretariat=True)
    sign_in(page, live, secretariat.email)
    page.goto(f"{live}/sessions/{session.id}/format")
    accessible(page)
    # the switch with the keyboard alone
    page.get_by_label("新しい形式").focus()
    page.keyboard.press("ArrowDown")  # in person → online
    page.keyboard.press("Tab")
    page.keyboard.type("Zoom")
    page.keyboard.press("Tab")
    page.keyboard.type(URL)
    page.keyboard.press("Tab")
    page.keyboard.type("新型コロナウイルスの感染状況を考慮")
    page.get_by_role("button", name="切り替えて通知する").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("開催形式を変更し")).to_be_visible()
    expect(page.get_by_text("集合形式 → オンライン形式（新型コロナウイルスの感染状況を考慮）")).to_be_visible()
    sign_out(page)

    sign_in(page, live, confirmed.email)
    page.goto(f"{live}/sessions/{session.id}")
    expect(page.get_by_role("link", name=URL)).to_be_visible()
    page.goto(f"{live}/my/calendar")
    accessible(page)
    feed = page.get_by_label("購読用URL（コピーして貼り付け）").input_value()
    assert URL in page.request.get(feed).text()
    sign_out(page)

    sign_in(page, live, waiting.email)
    page.goto(f"{live}/sessions/{session.id}")
    expect(page.get_by_text("参加が確定した方に、このページで会議のURLをお知らせします。")).to_be_visible()
    assert URL not in page.content()
    page.goto(f"{live}/my/calendar")
    assert URL not in page.request.get(page.get_by_label("購読用URL（コピーして貼り付け）").input_value()).text()


def test_5_an_attended_participant_answers_and_the_secretariat_sees_the_chart(live, page: Page):
    course = load_course()
    load_questionnaires(course)
    session = make_session(course, title="第5回")
    people = [person("吉川市", name=f"吉川 {n}") for n in range(3)]
    for p in people:
        enrollment.apply(p, session.id)
    day = session.days[0]
    day.starts_at, day.ends_at = utcnow() - timedelta(hours=4), utcnow() - timedelta(hours=1)
    for e in db.session.scalars(db.select(Enrollment)):
        e.attendance = Attendance.attended
    db.session.commit()
    post = questionnaire_for(session, SurveyKind.post)
    from werkzeug.datastructures import MultiDict

    for p in people[1:]:
        answers = MultiDict()
        for section in post.sections:
            for q in section.questions:
                if q.kind.value == "rating":
                    answers[f"q{q.id}"] = "4"
                if q.kind.value == "grid":
                    for row in q.rows:
                        answers[f"q{q.id}-{row['key']}"] = "4"
        submit(p, post, session, answers)

    sign_in(page, live, people[0].email)
    page.get_by_role("link", name="受講予定").first.click()
    page.get_by_role("link", name="事後アンケートに回答する").click()
    accessible(page)
    page.get_by_role("button", name="回答を送信する").click()  # nothing filled in: errors first
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("回答してください。")
    accessible(page)
    for radio in page.get_by_role("radio", name="とてもそう思う").all():
        radio.check()
    for row in page.locator("table.grid tbody tr").all():
        row.get_by_role("radio").first.check()
    page.get_by_role("textbox", name="ご意見・ご感想").focus()
    page.keyboard.type("事例紹介が具体的で参考になりました")
    page.get_by_role("button", name="回答を送信する").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("回答を送信しました。")).to_be_visible()
    sign_out(page)

    secretariat = person("越谷市", name="事務局 集計", is_secretariat=True)
    sign_in(page, live, secretariat.email)
    page.goto(f"{live}/courses/{course.id}/surveys?session={session.id}")
    expect(page.get_by_role("img", name="DXとは何かを説明できる").first).to_be_visible()
    expect(page.get_by_text("事例紹介が具体的で参考になりました")).to_be_visible()
    accessible(page)


def test_7_the_secretariat_edits_a_questionnaire_and_stays_where_it_acted(live, page: Page):
    course = load_course()
    load_questionnaires(course)
    session = make_session(course, title="第7回")
    pre = questionnaire_for(session, SurveyKind.pre)
    section, question = pre.sections[0], pre.sections[0].questions[0]
    secretariat = person("越谷市", name="事務局 編集", is_secretariat=True)
    sign_in(page, live, secretariat.email)
    page.goto(f"{live}/questionnaires/{pre.id}")
    accessible(page)
    disclosure = page.locator(f"#section-{section.id} + .actions + details summary")
    disclosure.focus()
    page.keyboard.press("Enter")  # opens the heading's form
    heading = page.locator(f"#s{section.id}-title")
    heading.fill("研修前の意識")
    heading.press("Enter")
    expect(page.locator(f"#section-{section.id}")).to_be_focused()  # back where it acted...
    expect(page.locator(f"#section-{section.id}")).to_have_text("研修前の意識")
    expect(page.locator("[data-announce]")).to_have_text("区分の見出しを保存しました。")  # ...and told so
    page.locator(f"#question-{question.id}").get_by_role("button", name=re.compile("^下へ")).click()
    expect(page.locator(f"#question-{question.id}")).to_be_focused()
    expect(page.locator("[data-announce]")).to_have_text("2番目に移動しました。")
    accessible(page)


def test_6_the_same_journey_in_english(live, page: Page):
    course = load_course()
    session = make_session(course, title="Session 6")
    employee = person("松伏町", name="松伏 英語")
    page.goto(f"{live}/signin")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    accessible(page)
    page.get_by_label("Email").focus()  # sign in with the keyboard alone
    page.keyboard.type(employee.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    accessible(page)
    page.goto(f"{live}/sessions/{session.id}")
    accessible(page)
    expect(page.get_by_text(re.compile(r"\w{3}, \d{1,2} \w{3} \d{4}")).first).to_be_visible()  # Gregorian dates
    page.get_by_role("button", name="Apply").click()
    expect(
        page.get_by_text("You are confirmed.").or_(page.get_by_text(re.compile("confirmed", re.I))).first
    ).to_be_visible()
    page.goto(f"{live}/my/trainings")
    accessible(page)
    db.session.rollback()
    assert db.session.scalar(db.select(Enrollment.status)) == EnrollmentStatus.confirmed
    assert session.format == SessionFormat.in_person


def test_the_accessibility_check_does_catch_violations(live, page: Page):
    """The negative control for every `accessible(page)` above."""
    from tests.browser.helpers import axe_violations

    page.set_content("<html><body><main><img src='x.png'><input type='text'></main></body></html>")
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label"} <= found, found


def test_every_role_s_pages_are_accessible_in_english_too(live, page: Page):
    course = load_course()
    load_questionnaires(course)
    session = make_session(course, title="Session A11y")
    employee = person("八潮市", name="八潮 英子")
    enrollment.apply(employee, session.id)
    secretariat = person("越谷市", name="事務局 英語", is_secretariat=True)
    page.goto(f"{live}/signin")
    page.get_by_role("button", name="English").click()
    sign_in_en = page.get_by_label("Email")
    sign_in_en.fill(secretariat.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    for path in (
        "/",
        "/courses",
        f"/courses/{course.id}",
        f"/sessions/{session.id}",
        f"/sessions/{session.id}/manage/112348",
        f"/sessions/{session.id}/edit",
        f"/sessions/{session.id}/agenda",
        f"/sessions/{session.id}/format",
        f"/courses/{course.id}/curriculum",
        f"/courses/{course.id}/edit",
        "/instructors",
        f"/courses/{course.id}/surveys",
        "/municipalities",
        "/municipalities/112348/staff",
        "/admin/audit",
        "/admin/messages",
        "/my/trainings",
        "/my/calendar",
        "/profile",
        "/signup",
    ):
        page.goto(f"{live}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        accessible(page)
