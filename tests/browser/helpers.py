"""What the journeys share: accessibility checks with axe-core, signing in, test data."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from dxtraining.auth.services import set_password
from dxtraining.extensions import db
from dxtraining.people.services import create_person, municipality_by_code, ranks

AXE = Path(__file__).resolve().parent.parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "journey password"
MUNICIPALITY = {
    "草加市": "112216",
    "越谷市": "112224",
    "八潮市": "112348",
    "三郷市": "112372",
    "吉川市": "112437",
    "松伏町": "113492",
}


def axe_violations(page: Page) -> list[dict]:
    """Serious and critical WCAG 2.0/2.1 A and AA violations on the current page (JIS X 8341-3 AA)."""
    assert AXE.exists(), "run `make node-tools` to install axe-core"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


_numbers = itertools.count(1)


def person(municipality: str = "草加市", name: str = "職員 太郎", email: str | None = None, rank: int = -1, **roles):
    """A confirmed account with PASSWORD; rank -1 is 主事級, the lowest level."""
    db.session.commit()  # start from a fresh snapshot: the live server may have written meanwhile
    m = municipality_by_code(MUNICIPALITY[municipality])
    created = create_person(
        email=email or f"journey{next(_numbers)}@{m.domains[0].domain}",
        name=name,
        name_kana="しょくいん",
        municipality=m,
        department="総務部 総務課",
        rank=ranks()[rank],
        confirmed=True,
        **roles,
    )
    set_password(created, PASSWORD)
    db.session.commit()
    return created


def sign_in(page: Page, live: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{live}/signin")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile("ログアウト|Log out")).click()
