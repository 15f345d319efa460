"""Coordinators and the secretariat manage staff: lists, roles and CSV import."""

from __future__ import annotations

from dxtraining.audit.models import AuditEntry
from dxtraining.extensions import db
from dxtraining.notifications.models import Message
from dxtraining.people.csv_import import import_staff
from dxtraining.people.models import Person
from tests.conftest import text_of

HEADER = "メールアドレス,氏名,ふりがな,所属,職位\r\n"


def people_count() -> int:
    return db.session.scalar(db.select(db.func.count(Person.id)))


def test_coordinator_sees_own_staff_list(client_for, make_person):
    coordinator = make_person("草加市", coordinator=True)
    colleague = make_person("草加市", name="草加 一郎")
    response = client_for(coordinator).get("/municipalities/112216/staff")
    assert response.status_code == 200
    assert colleague.name in text_of(response)


def test_coordinator_of_soka_gets_403_on_koshigaya_staff_list(client_for, make_person):
    coordinator = make_person("草加市", coordinator=True)
    outsider = make_person("越谷市", name="越谷 秘密")
    user = client_for(coordinator)
    response = user.get("/municipalities/112224/staff")
    assert response.status_code == 403
    assert outsider.name not in text_of(response)
    upload = user.post(
        "/municipalities/112224/staff/import",
        {"file": (__import__("io").BytesIO(b"x"), "staff.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403


def test_employee_cannot_see_any_staff_list(client_for, make_person):
    employee = make_person("草加市")
    assert client_for(employee).get("/municipalities/112216/staff").status_code == 403


def test_secretariat_sees_every_municipality(client_for, make_person):
    secretariat = make_person("越谷市", secretariat=True)
    staff = make_person("松伏町", name="松伏 花子")
    user = client_for(secretariat)
    assert staff.name in text_of(user.get("/municipalities/113492/staff"))
    assert "松伏町" in text_of(user.get("/municipalities"))
    assert user.get("/municipalities/999999/staff").status_code == 404


def test_anonymous_is_sent_to_signin(anonymous):
    response = anonymous.get("/municipalities/112216/staff")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_csv_import_creates_staff_and_invites_them(app, municipalities):
    raw = (
        HEADER + "soka.taro@city.soka.saitama.jp,草加 太郎,そうか たろう,市民生活部 市民課,主事\r\n"
        "soka.hanako@city.soka.saitama.jp,草加 花子,そうか はなこ,総務部 職員課,課長級\r\n"
    ).encode("utf-8-sig")
    result = import_staff(raw, municipalities["草加市"])
    assert result.ok, result.errors
    assert result.created == 2
    taro = db.session.scalar(db.select(Person).where(Person.email == "soka.taro@city.soka.saitama.jp"))
    assert taro.rank.name == "主事級" and taro.job_title == "主事"
    assert not taro.is_active  # until the invitation is accepted
    invitations = db.session.scalars(db.select(Message).where(Message.kind == "invitation")).all()
    assert {m.to_address for m in invitations} == {taro.email, "soka.hanako@city.soka.saitama.jp"}


def test_csv_import_reads_shift_jis_from_excel(municipalities):
    raw = (HEADER + "misato.jiro@city.misato.lg.jp,三郷 次郎,みさと じろう,企画政策課,係長\r\n").encode("cp932")
    result = import_staff(raw, municipalities["三郷市"])
    assert result.ok and result.created == 1
    assert db.session.scalar(db.select(Person.name)) == "三郷 次郎"


def test_csv_import_with_errors_reports_each_line_and_imports_nothing(municipalities, make_person):
    make_person("越谷市", email="taken@city.koshigaya.saitama.jp")
    before = people_count()
    raw = (
        HEADER
        + "good@city.yashio.lg.jp,八潮 良子,やしお よしこ,総務課,主任\r\n"  # line 2: fine
        + "not-an-email,八潮 悪夫,やしお わるお,総務課,主任\r\n"  # line 3
        + "someone@city.koshigaya.saitama.jp,越谷 混入,こしがや,総務課,主任\r\n"  # line 4: other municipality
        + "good@city.yashio.lg.jp,八潮 二重,やしお,総務課,主任\r\n"  # line 5: duplicate of line 2
        + "x@city.yashio.lg.jp,=cmd|' /C calc'!A0,やしお,総務課,主任\r\n"  # line 6: formula
        + "y@city.yashio.lg.jp,八潮 謎,やしお,総務課,大臣\r\n"  # line 7: unknown rank
        + "z@city.yashio.lg.jp,,やしお,総務課,主任\r\n"  # line 8: name missing
    ).encode()
    result = import_staff(raw, municipalities["八潮市"])
    lines = [line for line, _ in result.errors]
    assert lines == [3, 4, 5, 6, 7, 8]
    assert "2行目と同じ" in result.errors[2][1]
    assert result.errors[5][1] == "氏名が空です" and "氏名：" in result.errors[3][1]  # as the header names them
    assert people_count() == before
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_csv_import_refuses_wrong_columns_and_binary_junk(municipalities):
    wrong = import_staff("name,phone\r\n太郎,123\r\n".encode(), municipalities["吉川市"])
    assert wrong.errors and wrong.errors[0][0] == 1
    junk = import_staff(bytes(range(256)) * 100, municipalities["吉川市"])
    assert not junk.ok
    assert people_count() == 0


def test_csv_import_updates_existing_staff_and_logs_it(municipalities, make_person):
    person = make_person("吉川市", email="yoshi@city.yoshikawa.saitama.jp", department="旧課")
    raw = (HEADER + "yoshi@city.yoshikawa.saitama.jp,吉川 由紀,よしかわ ゆき,新課,係長級\r\n").encode()
    result = import_staff(raw, municipalities["吉川市"])
    assert result.updated == 1 and result.created == 0
    db.session.refresh(person)
    assert person.department == "新課"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "person.updated_by_import"))
    assert entry.before["department"] == "旧課"


def test_csv_upload_page_shows_errors_by_line(client_for, make_person):
    import io

    coordinator = make_person("松伏町", coordinator=True)
    user = client_for(coordinator)
    raw = (HEADER + "bad,松伏 一,まつぶし,総務課,主事\r\n").encode()
    response = user.post(
        "/municipalities/113492/staff/import",
        {"file": (io.BytesIO(raw), "staff.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "2行目" in text_of(response)
    ok = user.post(
        "/municipalities/113492/staff/import",
        {
            "file": (
                io.BytesIO((HEADER + "m1@town.matsubushi.lg.jp,松伏 一,まつぶし はじめ,総務課,主事\r\n").encode()),
                "staff.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert "松伏 一" in text_of(user.get("/municipalities/113492/staff"))
