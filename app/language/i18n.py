"""Translations: gettext catalogues in `locales/`, looked up with an explicit locale.

Views and RQ jobs pass the subscriber's locale; nothing depends on a request-global
locale. Catalogues are read from the `.po` sources (compiled in memory once per
process) so a fresh clone needs no compile step; `pybabel compile` still works.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

import locales
from app.config import SUPPORTED_LOCALES, ConfigError

LOCALES_DIR = Path(locales.__file__).resolve().parent
"""Top-level `locales/<code>/LC_MESSAGES/messages.po`: a package, so that a wheel carries
the catalogues beside the code."""


class CatalogueError(ConfigError):
    """A language wardlink offers has no catalogue: every caller would silently get English."""


DOMAIN = "messages"
"""The gettext domain of every catalogue."""

LANGUAGE_NAMES = {
    "en": "English",
    "af": "Afrikaans",
    "xh": "isiXhosa",
    "zu": "isiZulu",
    "ak": "Twi",
}
"""Each language named in itself, as shown on the language menu."""

_cache: dict[str, NullTranslations] = {}
_lock = threading.Lock()


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it now."""
    return message


def catalogue(locale: str | None) -> NullTranslations:
    """The translations for `locale` (English, the source language, when unknown)."""
    code = locale if locale in SUPPORTED_LOCALES else "en"
    found = _cache.get(code)
    if found is not None:
        return found
    with _lock:
        if code not in _cache:
            _cache[code] = _load(code)
        return _cache[code]


def catalogue_path(code: str) -> Path:
    """Where the `.po` source of a language lives."""
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def check_catalogues() -> None:
    """Raise CatalogueError unless every supported language but English (the source
    language) has its catalogue; `create_app` calls it, so a broken install fails at start."""
    missing = [code for code in SUPPORTED_LOCALES if code != "en" and not catalogue_path(code).is_file()]
    if missing:
        raise CatalogueError(f"wardlink: no translation catalogue for {', '.join(missing)} in {LOCALES_DIR}")


def _load(code: str) -> NullTranslations:
    path = catalogue_path(code)
    if code == "en":
        return NullTranslations()
    with path.open("rb") as handle:
        cat = read_po(handle, locale=code if code != "ak" else "ak")
    buffer = io.BytesIO()
    write_mo(buffer, cat, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def gettext(locale: str | None, message: str, **params) -> str:
    """Translate `message` into `locale` and fill `{name}` placeholders from `params`."""
    text = catalogue(locale).gettext(message)
    return text.format(**params) if params else text


def language_name(code: str) -> str:
    """The name of a language in that language."""
    return LANGUAGE_NAMES.get(code, code)
