"""A person signs in through the real page in Chromium, with the keyboard only."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from dxtraining.auth.services import set_password
from dxtraining.extensions import db
from dxtraining.people.services import create_person, municipality_by_code, ranks


def make_employee(email: str, password: str):
    person = create_person(
        email=email,
        name="越谷 花子",
        name_kana="こしがや はなこ",
        municipality=municipality_by_code("112224"),
        department="総合政策部 政策課",
        rank=ranks()[-1],
        confirmed=True,
    )
    set_password(person, password)
    db.session.commit()
    return person


def test_employee_signs_in_with_the_keyboard_only(live, page: Page):
    make_employee("hanako@city.koshigaya.saitama.jp", "browser password")
    page.goto(f"{live}/signin")
    expect(page).to_have_title("ログイン | DX意識醸成研修")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="本文へ移動")).to_be_focused()
    page.get_by_label("メールアドレス").focus()
    page.keyboard.type("hanako@city.koshigaya.saitama.jp")
    page.keyboard.press("Tab")
    page.keyboard.type("browser password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="越谷 花子さん")).to_be_visible()
    expect(page.get_by_text("総合政策部 政策課")).to_be_visible()


def test_failed_signin_focuses_the_error_summary(live, page: Page):
    page.goto(f"{live}/signin")
    page.get_by_label("メールアドレス").fill("nobody@city.koshigaya.saitama.jp")
    page.get_by_label("パスワード").fill("wrong password")
    page.get_by_role("button", name="ログイン").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("メールアドレスまたはパスワードが正しくありません。")


def test_missing_fields_are_linked_to_their_errors(live, page: Page):
    page.goto(f"{live}/signin")
    page.get_by_role("button", name="ログイン").click()
    email = page.get_by_label("メールアドレス")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "email-error")
    expect(page.locator("#email-error")).to_contain_text("入力してください。")
