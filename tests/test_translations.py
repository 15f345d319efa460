"""Every string of the interface has an English translation, with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_english_catalog_covers_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        in_code = {m.id for m in read_po(f) if m.id}
    with (ROOT / "dxtraining/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = {m.id: m for m in read_po(f) if m.id}
    missing = sorted(in_code - {k for k, m in catalog.items() if m.string and not m.fuzzy})
    assert missing == [], f"untranslated (run `make extract-messages` and translate): {missing[:10]}"
    wrong = [k for k, m in catalog.items() if set(PLACEHOLDER.findall(k)) != set(PLACEHOLDER.findall(m.string))]
    assert wrong == []
