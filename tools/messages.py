"""The translation catalogues (docs/i18n.md), with Babel alone: no GNU gettext on any machine.

    python -m tools.messages extract   # source → src/edgate/locale/<lang>/LC_MESSAGES/django.po
    python -m tools.messages compile   # every django.po → django.mo (run by `make install`)
    python -m tools.messages check     # exit 1 if a string in the source lacks a translation

Extraction reads what Django's `makemessages` reads, the same way: Python files through the
gettext keywords Django uses (and this project's `_lazy` alias), templates through Django's own
`templatize`, which turns {% translate %} and {% blocktranslate %} into gettext calls. Only the
portal's strings are ours; Django's and the libraries' own ship with their translations.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "edgate"
LOCALE_DIR = SOURCE / "locale"
LANGUAGES = ("es",)  # besides English, the source language
DOMAIN = "django"

# Django's gettext keywords (makemessages passes the same to xgettext), Babel's defaults, and
# the aliases this code base imports them under.
KEYWORDS: dict[str, object] = {
    "_": None,
    "_lazy": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
COMMENT_TAGS = ("Translators:",)
BRACE_FIELD = re.compile(r"\{\w*\}")
HTML_TAG = re.compile(r"</?\w+[^>]*>")
SKIPPED_DIRS = {"migrations", "locale", "__pycache__", "static"}


def source_files() -> Iterator[Path]:
    for path in sorted(SOURCE.rglob("*")):
        if SKIPPED_DIRS.intersection(path.relative_to(SOURCE).parts) or not path.is_file():
            continue
        if path.suffix == ".py" or (path.suffix in {".html", ".txt"} and "templates" in path.parts):
            yield path


def _python_source(path: Path) -> bytes:
    if path.suffix == ".py":
        return path.read_bytes()
    # Django's own template-to-gettext translation, as makemessages uses it; imported here so
    # the module loads (and `compile` runs) without Django configured.
    from django.utils.translation.template import templatize

    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # Its gettext calls sit on one line each (strings as repr()); the template's indentation
    # around them is not Python's, so it goes.
    return "\n".join(line.lstrip() for line in code.splitlines()).encode("utf-8")


def extract_catalog() -> Catalog:
    """Every translatable string in the source, with where it is used."""
    catalog = Catalog(project="EdGate", charset="utf-8", fuzzy=False)
    for path in source_files():
        relative = path.relative_to(ROOT).as_posix()
        found = extract(
            "python",
            io.BytesIO(_python_source(path)),
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        )
        for lineno, message, comments, context in found:
            catalog.add(message, None, [(relative, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # File names without line numbers: an edit elsewhere in a file does not touch the catalogue.
    write_po(buffer, catalog, width=100, include_lineno=False, omit_header=False, sort_by_file=False)
    path.write_bytes(buffer.getvalue())


def update(language: str) -> Catalog:
    """The catalogue brought up to the source: new strings added untranslated, strings no longer
    used dropped (no fuzzy guesses: a near-miss translation shown to a person is worse than
    English)."""
    template = extract_catalog()
    path = po_path(language)
    if path.exists():
        catalog = read_catalog(language)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, project="EdGate", charset="utf-8", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
    catalog.obsolete.clear()
    write_catalog(catalog, path)
    return catalog


def compile_catalogs() -> list[Path]:
    written = []
    for path in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=path.parts[-3], domain=DOMAIN)
        mo = path.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    return written


def _translated(string: str | tuple[str, ...]) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)


def problems(language: str) -> list[str]:
    """What stops the catalogue from translating every page: strings the source uses that the
    catalogue lacks or leaves empty or fuzzy, and translations whose placeholders differ."""
    catalog = read_catalog(language)
    found = []
    for message in extract_catalog():
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None:
            found.append(f"missing from the catalogue: {message.id!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif not _translated(entry.string):
            found.append(f"not translated: {message.id!r}")
    for message, errors in catalog.check():
        found.extend(f"{error} in {message.id!r}" for error in errors)
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or not all(strings):
            continue
        # Babel checks %-placeholders; str.format() fields and HTML tags are checked here.
        for pattern, what in ((BRACE_FIELD, "format fields"), (HTML_TAG, "HTML tags")):
            expected = sorted(pattern.findall(ids[-1]))
            if any(sorted(pattern.findall(string)) != expected for string in strings):
                found.append(f"{what} differ in {ids[0]!r}")
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "extract":
        for language in LANGUAGES:
            catalog = update(language)
            missing = sum(1 for m in catalog if m.id and not _translated(m.string))
            print(f"{po_path(language).relative_to(ROOT)}: {len(catalog)} strings, {missing} to translate")
        return 0
    if command == "compile":
        for mo in compile_catalogs():
            print(f"compiled {mo.relative_to(ROOT)}")
        return 0
    if command == "check":
        found = [f"{language}: {p}" for language in LANGUAGES for p in problems(language)]
        print("\n".join(found) or "every string is translated")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
