"""Maintain the Czech message catalog: ``python -m selfcare_widget.catalog`` (``make i18n``).

Extracts every msgid from the code and the widget templates, merges it into
``translations/cs/LC_MESSAGES/messages.po``, fills translations from
``translations/pending/*.json`` (English msgid -> Czech, written alongside a feature). The app
compiles the ``.po`` in memory when it starts (``i18n.compile_catalog``), so no ``.mo`` file is
kept. Exits non-zero if a msgid has no Czech translation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "selfcare_widget" / "translations"
PO_FILE = TRANSLATIONS / "cs" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [
    ("selfcare_widget/**.py", "python"),
    ("templates/widget/**.html", "jinja2"),
    ("templates/studio/**.html", "jinja2"),  # the theme studio's page, for partners
]


def extract() -> Catalog:
    """All msgids of the widget and the theme studio (not the demo portal: Czech-only demo content)."""
    catalog = Catalog(project="selfcare-widget", locale=None)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map=METHODS,
        keywords=KEYWORDS,
        options_map={
            "templates/widget/**.html": {"extensions": "jinja2.ext.i18n"},
            "templates/studio/**.html": {"extensions": "jinja2.ext.i18n"},
        },
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def pending_translations() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((TRANSLATIONS / "pending").glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def build() -> list[str]:
    """Update the .po file; return msgids that still lack a translation."""
    template = extract()
    if PO_FILE.exists():
        with PO_FILE.open("rb") as fh:
            catalog = read_po(fh, locale="cs")
    else:
        catalog = Catalog(locale="cs", project="selfcare-widget")
    catalog.update(template, no_fuzzy_matching=True)
    pending = pending_translations()
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in pending:
            message.string = pending[key] if isinstance(message.id, str) else (pending[key],) * 3
        message.flags.discard("fuzzy")
        if not message.string or (not isinstance(message.string, str) and not all(message.string)):
            missing.append(key)
    catalog.obsolete.clear()
    PO_FILE.parent.mkdir(parents=True, exist_ok=True)
    with PO_FILE.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    return missing


def main() -> int:
    missing = build()
    for msgid in missing:
        print(f"missing Czech translation: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
