"""The station's words: one key file (i18n.json), Vietnamese first, English second. The page, the printable
notice, the server's messages and errors, and the audit log's actions and details all take their text from it;
nothing a health worker reads is written anywhere else.

A message travels as a key and its arguments (`{"error": "e_busy", "args": {"port": ...}}`); the page fills the
arguments into its language's text. English text of the same key is what goes to the station's log."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from host_tools.errors import UsageError

CATALOGUE = Path(__file__).resolve().parent / "i18n.json"
LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
_ARG = re.compile(r"\{(\w+)\}")


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def lang_of(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


def text(key: str, lang: str = "en", **args) -> str:
    """The key's text in `lang` (English when that language lacks it; the key itself when nobody has it),
    with `{name}` filled from args."""
    c = catalogue()
    s = c.get(lang, {}).get(key) or c["en"].get(key) or key
    return _ARG.sub(lambda m: str(args[m.group(1)]) if m.group(1) in args else m.group(0), s)


def number(v: float, lang: str = "en") -> str:
    """A number as the page's language writes it, at most one decimal (the page's own: Intl.NumberFormat with
    maximumFractionDigits 1, vi-VN or en-GB): 1234.5 -> '1.234,5' in Vietnamese, '1,234.5' in English."""
    s = f"{round(float(v), 1):,.1f}".removesuffix(".0")
    return s.translate(str.maketrans(",.", ".,")) if lang == "vi" else s


class StationError(UsageError):
    """A refusal the health worker reads: a catalogue key and its arguments (English text for logs)."""

    def __init__(self, key: str, hint_key: str | None = None, status: int = 400, **args):
        super().__init__(text(key, "en", **args), hint=text(hint_key, "en", **args) if hint_key else None)
        self.key, self.hint_key, self.args_, self.status = key, hint_key, args, status

    def payload(self) -> dict:
        return {"error": self.key, "args": self.args_, "hint": self.hint_key, "message": str(self)}
