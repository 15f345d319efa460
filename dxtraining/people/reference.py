"""Reference data: the six municipalities and the rank ladder. Loading is idempotent."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Municipality, MunicipalityDomain, Rank, RankTitle

# code, name, kana, English, staff email domain(s). Domains are defaults for a new database;
# the secretariat changes them with `flask municipalities set-domains` without touching code.
MUNICIPALITIES = (
    ("112216", "草加市", "そうかし", "Soka City", ("city.soka.saitama.jp",)),
    ("112224", "越谷市", "こしがやし", "Koshigaya City", ("city.koshigaya.saitama.jp",)),
    ("112348", "八潮市", "やしおし", "Yashio City", ("city.yashio.lg.jp",)),
    ("112372", "三郷市", "みさとし", "Misato City", ("city.misato.lg.jp",)),
    ("112437", "吉川市", "よしかわし", "Yoshikawa City", ("city.yoshikawa.saitama.jp",)),
    ("113492", "松伏町", "まつぶしまち", "Matsubushi Town", ("town.matsubushi.lg.jp",)),
)

# The ladder of shared/glossary.md, highest first: code, Japanese, English, typical titles.
RANKS = (
    ("top_management", "特別職", "Top management", "市長・町長・副市長・副町長・教育長"),
    ("director", "部長級", "Director", "部長・次長・参事"),
    ("section_chief", "課長級", "Section chief", "課長・室長"),
    ("assistant_chief", "課長補佐級", "Assistant section chief", "副課長・課長補佐・主幹"),
    ("unit_chief", "係長級", "Unit chief", "係長・主査"),
    ("senior_staff", "主任級", "Senior staff", "副主査・主任"),
    ("staff", "主事級", "Staff", "主事・技師・主事補"),
)


def check_digit_ok(code: str) -> bool:
    """全国地方公共団体コード: the sixth digit is 11 − (Σ digit×weight mod 11) mod 10, weights 6..2."""
    if len(code) != 6 or not code.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10 == int(code[5])


def load_reference() -> None:
    """Insert missing municipalities, domains, ranks and title mappings; never overwrite edits."""
    ranks = {r.code: r for r in db.session.scalars(select(Rank))}
    for level, (code, name, name_en, titles) in enumerate(RANKS, start=1):
        if code not in ranks:
            ranks[code] = Rank(code=code, level=level, name=name, name_en=name_en, typical_titles=titles)
            db.session.add(ranks[code])
    existing = {m.code: m for m in db.session.scalars(select(Municipality))}
    known_domains = set(db.session.scalars(select(MunicipalityDomain.domain)))
    for order, (code, name, kana, name_en, domains) in enumerate(MUNICIPALITIES, start=1):
        municipality = existing.get(code)
        if municipality is None:
            municipality = Municipality(code=code, name=name, name_kana=kana, name_en=name_en, sort_order=order)
            municipality.domains = [MunicipalityDomain(domain=d) for d in domains if d not in known_domains]
            db.session.add(municipality)
            db.session.flush()
            for rank in ranks.values():
                for title in rank.typical_titles.split("・"):
                    db.session.add(RankTitle(municipality_id=municipality.id, title=title, rank=rank))
    db.session.commit()
