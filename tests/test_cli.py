"""Commands a deployment runs: seed, users create, municipalities, jobs."""

from __future__ import annotations

from dxtraining.audit.models import AuditEntry
from dxtraining.extensions import db
from dxtraining.people.models import Municipality, Person
from tests.conftest import words_of


def counts() -> dict[str, int]:
    return {
        "people": db.session.scalar(db.select(db.func.count(Person.id))),
        "municipalities": db.session.scalar(db.select(db.func.count(Municipality.id))),
        "audit": db.session.scalar(db.select(db.func.count(AuditEntry.id))),
    }


def test_seed_with_demo_data_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0, first.output
    assert "secretariat@city.koshigaya.saitama.jp" in first.output
    after_first = counts()
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    assert counts() == after_first
    assert after_first["municipalities"] == 6


def test_users_create_makes_a_secretariat_member_who_can_sign_in(app, anonymous):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "Admin@City.Koshigaya.Saitama.JP",
            "--name",
            "越谷 事務",
            "--municipality",
            "112224",
            "--secretariat",
            "--password",
            "a strong password",
        ]
    )
    assert result.exit_code == 0, result.output
    person = db.session.scalar(db.select(Person))
    assert person.is_secretariat and person.email == "admin@city.koshigaya.saitama.jp"
    assert anonymous.signin(person.email, "a strong password").status_code == 302
    assert anonymous.get("/admin/audit").status_code == 200


def test_users_create_refuses_short_passwords_and_unknown_municipalities(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "--email", "a@b.jp", "--name", "x", "--municipality", "112224", "--password", "short"]
    )
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@b.jp",
            "--name",
            "x",
            "--municipality",
            "999999",
            "--password",
            "long enough password",
        ]
    )
    assert short.exit_code != 0 and unknown.exit_code != 0
    assert counts()["people"] == 0


def test_a_new_municipality_can_join_without_code_changes(app, anonymous):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["municipalities", "add", "112210", "架空市"])
    assert bad.exit_code != 0  # wrong check digit
    good = runner.invoke(args=["municipalities", "add", "112011", "さいたま市", "--domain", "city.saitama.lg.jp"])
    assert good.exit_code == 0, good.output
    from dxtraining.auth.services import municipality_for_email

    assert municipality_for_email("staff@city.saitama.lg.jp").name == "さいたま市"


def test_only_the_secretariat_reads_the_audit_log(client_for, make_person):
    coordinator = make_person(coordinator=True)
    assert client_for(coordinator).get("/admin/audit").status_code == 403
    secretariat = client_for(make_person(secretariat=True))
    client_for(coordinator).post(
        "/profile",
        {
            "name": "新しい 名前",
            "name_kana": "あたらしい なまえ",
            "department": "新しい課",
            "rank_id": coordinator.rank_id,
            "job_title": "",
            "locale": "ja",
        },
    )
    page = words_of(secretariat.get("/admin/audit"))
    assert "プロフィールを変更" in page and "新しい課" in page and "person.profile_changed" not in page
