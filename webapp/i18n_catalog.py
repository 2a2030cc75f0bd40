"""The translation catalogue: extract the messages, update and compile the Dutch catalogue, and
check that nothing is left untranslated.

    python -m webapp.i18n_catalog update   # extract, merge into each locale's messages.po, compile
    python -m webapp.i18n_catalog check    # exit 1 naming every message without a translation

`make i18n` and `make i18n-check` run these; tests/test_i18n.py runs the check with the suite.
The compiled messages.mo files are committed, so running the app or the tests needs no step.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
LOCALES = ("nl",)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
KEYWORDS["N_"] = None  # fixed reasons stored on rows in English, translated where shown
METHODS = [("webapp/**.py", "python"), ("templates/**.html", "jinja2")]


def extract() -> Catalog:
    """Every message the code and the templates ask to translate."""
    catalog = Catalog(project="Ledgerbridge")
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, METHODS, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update() -> None:
    template = extract()
    for locale in LOCALES:
        path = po_path(locale)
        catalog = read(locale) if path.exists() else Catalog(locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, omit_header=False, no_location=True, sort_output=True)
        path.with_suffix(".mo").write_bytes(compiled(read(locale)))


def problems() -> list[str]:
    """Messages left untranslated (or fuzzy), and compiled catalogues older than their .po."""
    found = []
    wanted = extract()
    for locale in LOCALES:
        catalog = read(locale)
        for message in wanted:
            if not message.id:
                continue
            have = catalog.get(message.id, context=message.context)
            strings = have.string if have else None
            done = all(strings) if isinstance(strings, tuple) else bool(strings)
            if have is None or not done or have.fuzzy:
                text = message.id if isinstance(message.id, str) else message.id[0]
                where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
                found.append(f"{locale}: untranslated {text!r} ({where})")
        mo = po_path(locale).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalog):
            found.append(f"{locale}: {mo.relative_to(ROOT)} is not compiled from its .po")
    return found


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)" if found else "Every message is translated.")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
