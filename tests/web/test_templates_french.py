"""Every message in the web templates has a French translation (the catalogue test reads only Python files)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from config import i18n

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "rdv" / "web" / "templates"
# _("…") and ngettext("…", "…", n) with a literal first argument, in either quote style.
_CALL = re.compile(r"""(?<![\w.])(?:_|ngettext)\(\s*(['"])((?:(?!\1).)+)\1""", re.S)


def _french() -> set[str]:
    known: set[str] = set()
    for package in i18n.PACKAGES:
        po = ROOT / package / "locale" / "fr.po"
        if po.exists():
            with po.open(encoding="utf-8") as handle:
                known.update(str(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(handle) if m.string)
    return known


def template_msgids() -> dict[str, str]:
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            found[match.group(2)] = path.relative_to(ROOT).as_posix()
    return found


def test_every_message_of_the_templates_has_a_french_translation() -> None:
    found = template_msgids()
    assert "Log in" in found, "the scan finds the login page's messages"
    missing = sorted(f"{where}: {msgid}" for msgid, where in found.items() if msgid not in _french())
    assert missing == [], "add these msgids to rdv/locale/fr.po: " + "; ".join(missing)
