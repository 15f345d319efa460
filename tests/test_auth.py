"""Signing in, signing up, invitations and password resets, as staff meet them."""

from __future__ import annotations

import re
from datetime import timedelta

from dxtraining.audit.models import AuditEntry
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.notifications.services import render
from dxtraining.people.models import Person, Rank
from tests.conftest import PASSWORD, links_age, text_of

LINK_RE = re.compile(r"http://localhost(/\S+)")


def last_link(kind: str) -> str:
    message = db.session.scalars(db.select(Message).where(Message.kind == kind).order_by(Message.id.desc())).first()
    assert message is not None, f"no {kind} message was queued"
    link = LINK_RE.search(render(message).body_text).group(1)
    db.session.commit()  # keep what render() wrote, as the sender would
    return link


def test_employee_signs_in_and_out(anonymous, make_person):
    person = make_person("草加市")
    response = anonymous.signin(person)
    assert response.status_code == 302
    home = text_of(anonymous.get("/"))
    assert person.name in home and "草加市" in home
    assert anonymous.post("/signout").status_code == 302
    assert person.name not in text_of(anonymous.get("/"))


def test_wrong_password_and_unknown_email_give_the_same_message(anonymous, make_person):
    person = make_person()
    wrong = anonymous.signin(person, "not the password")
    unknown = anonymous.signin("nobody@city.koshigaya.saitama.jp", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    message = "メールアドレスまたはパスワードが正しくありません。"
    assert message in text_of(wrong) and message in text_of(unknown)


def test_signin_is_rate_limited_per_account(app, anonymous, make_person):
    app.config["SIGNIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    person = make_person()
    for _ in range(3):
        assert anonymous.signin(person, "wrong password!").status_code == 422
    blocked = anonymous.signin(person, PASSWORD)
    assert blocked.status_code == 429
    assert "短時間に操作が集中しました" in text_of(blocked)


def test_signin_is_rate_limited_per_address(app, anonymous, make_person):
    app.config["SIGNIN_LIMIT_PER_ADDRESS"] = "4 per 15 minutes"
    for n in range(4):
        assert anonymous.signin(f"guess{n}@city.koshigaya.saitama.jp", "wrong password!").status_code == 422
    assert anonymous.signin(make_person(), PASSWORD).status_code == 429


def test_successful_signins_do_not_count_against_the_limit(app, anonymous, make_person):
    app.config["SIGNIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    person = make_person()
    for _ in range(4):
        assert anonymous.signin(person).status_code == 302
        anonymous.post("/signout")


def test_post_without_csrf_token_is_refused(anonymous, make_person):
    person = make_person()
    response = anonymous.post("/signin", {"email": person.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "リクエストが正しくありません" in text_of(response)


def test_signup_only_with_a_municipality_domain(anonymous, app):
    staff_rank = db.session.scalar(db.select(Rank).where(Rank.code == "staff"))
    form = {
        "email": "taro@gmail.com",
        "name": "越谷 太郎",
        "name_kana": "こしがや たろう",
        "department": "総合政策部 政策課",
        "rank_id": staff_rank.id,
        "password": "a long password",
        "password_confirm": "a long password",
    }
    refused = anonymous.post("/signup", form)
    assert refused.status_code == 422
    assert "参加している市町のものではありません" in text_of(refused)
    assert 'aria-describedby="email-hint email-error"' in text_of(refused)
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0

    accepted = anonymous.post("/signup", {**form, "email": "Taro@City.Koshigaya.Saitama.JP"})
    assert "確認メールを送信しました" in text_of(accepted)
    person = db.session.scalar(db.select(Person))
    assert person.email == "taro@city.koshigaya.saitama.jp"
    assert person.municipality.name == "越谷市"
    assert anonymous.signin(person.email, "a long password").status_code == 422  # not confirmed yet

    confirm = anonymous.get(last_link("email_confirmation"))
    assert confirm.status_code == 302
    assert anonymous.signin(person.email, "a long password").status_code == 302
    assert anonymous.get(last_link("email_confirmation")).status_code == 404  # works once


def test_signup_asks_for_a_rank_and_says_every_problem_at_once(anonymous):
    page = text_of(anonymous.get("/signup"))
    assert '<option selected value="">職層を選んでください</option>' in page  # nobody becomes 特別職 by not choosing
    refused = anonymous.post(
        "/signup", {"email": "taro@gmail.com", "name": "", "rank_id": "", "password": "x", "password_confirm": "y"}
    )
    page = text_of(refused)
    assert refused.status_code == 422
    for field in ("email", "name", "rank_id"):
        assert f'id="{field}-error"' in page
    assert "参加している市町のものではありません" in page and "選択してください" in page
    summary = [page.index(f'href="#{field}"') for field in ("email", "name", "rank_id", "password")]
    assert summary == sorted(summary)  # the summary lists the problems in the page's order
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0


def test_signup_with_a_taken_address_reveals_nothing_and_tells_the_owner(anonymous, make_person):
    owner = make_person()
    staff_rank = db.session.scalar(db.select(Rank).where(Rank.code == "staff"))
    response = anonymous.post(
        "/signup",
        {
            "email": owner.email,
            "name": "なりすまし",
            "name_kana": "なりすまし",
            "department": "x",
            "rank_id": staff_rank.id,
            "password": "another password",
            "password_confirm": "another password",
        },
    )
    assert "確認メールを送信しました" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 1
    assert db.session.scalar(db.select(Message.kind).where(Message.person_id == owner.id)) == "account_exists"


def test_password_reset_link_works_once(anonymous, make_person):
    person = make_person()
    anonymous.post("/reset", {"email": person.email})
    link = last_link("password_reset")
    assert anonymous.get(link).status_code == 200
    done = anonymous.post(link, {"password": "brand new password", "password_confirm": "brand new password"})
    assert done.status_code == 302
    assert anonymous.signin(person, "brand new password").status_code == 302
    anonymous.post("/signout")
    assert anonymous.get(link).status_code == 404
    assert (
        anonymous.post(link, {"password": "third password!", "password_confirm": "third password!"}).status_code == 404
    )


def test_password_reset_for_unknown_address_looks_the_same(anonymous):
    response = anonymous.post("/reset", {"email": "nobody@city.soka.saitama.jp"})
    assert "アカウントがあれば" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_password_reset_link_expires(app, anonymous, make_person):
    person = make_person()
    anonymous.post("/reset", {"email": person.email})
    link = last_link("password_reset")
    with links_age(app.config["PASSWORD_RESET_MAX_AGE"] + timedelta(minutes=1)):
        assert anonymous.get(link).status_code == 404


def test_invitation_link_expires(app, anonymous, make_person):
    from dxtraining.auth.services import send_invitation

    person = make_person(password_hash=None, confirmed=False)
    send_invitation(person)
    db.session.commit()
    link = last_link("invitation")
    with links_age(app.config["INVITATION_MAX_AGE"] + timedelta(minutes=1)):
        assert anonymous.get(link).status_code == 404
    assert anonymous.get(link).status_code == 200


def test_changing_password_signs_out_other_sessions(app, client_for, make_person):
    person = make_person()
    laptop = client_for(person)
    phone = client_for(person)
    from dxtraining.auth.services import set_password

    set_password(person, "changed elsewhere")
    db.session.commit()
    assert person.name not in text_of(phone.get("/"))
    assert person.name not in text_of(laptop.get("/"))


def test_next_parameter_never_leaves_the_site(anonymous, make_person):
    person = make_person()
    response = anonymous.post("/signin?next=//evil.example/", {"email": person.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_profile_change_of_rank_and_department_is_logged(client_for, make_person):
    person = make_person(rank="staff", department="総務部 人事課")
    staff_rank_id = person.rank_id
    user = client_for(person)
    chief = db.session.scalar(db.select(Rank).where(Rank.code == "unit_chief"))
    response = user.post(
        "/profile",
        {
            "name": person.name,
            "name_kana": person.name_kana,
            "department": "総合政策部 政策課",
            "rank_id": chief.id,
            "job_title": "主査",
            "locale": "ja",
            "wants_session_reminders": "y",
            "wants_survey_reminders": "y",
        },
    )
    assert response.status_code == 302
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "person.profile_changed"))
    assert entry.actor_id == person.id
    assert entry.before == {"department": "総務部 人事課", "rank_id": staff_rank_id, "job_title": ""}
    assert entry.after["department"] == "総合政策部 政策課"
    assert entry.after["rank_id"] == chief.id


def test_a_name_of_only_spaces_is_not_a_name(client_for, make_person):
    person = make_person(name="草加 太郎")
    user = client_for(person)
    form = {"name": "\u3000 ", "name_kana": "そうか たろう", "department": "総務課", "rank_id": person.rank_id}
    response = user.post("/profile", {**form, "locale": "ja"})
    assert response.status_code == 422 and 'id="name-error"' in response.get_data(as_text=True)
    assert "入力してください。" in text_of(response)
    db.session.refresh(person)
    assert person.name == "草加 太郎"
